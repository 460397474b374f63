//! Rule changes: whether the rules of a field accept less or more than before.

use std::collections::BTreeSet;

use super::compare::Differ;
use super::ChangeKind;
use crate::plan::PlanRule;
use crate::schema::Bound;

/// How a constraint moved: accepts less, more, both (shifted) or the same.
#[derive(Default)]
struct Movement {
    tighter: bool,
    looser: bool,
}

impl Movement {
    /// A lower bound moved: a greater one accepts less.
    fn lower(&mut self, old: Option<Bound>, new: Option<Bound>) {
        self.bound(old, new, std::cmp::Ordering::Greater);
    }

    /// An upper bound moved: a smaller one accepts less.
    fn upper(&mut self, old: Option<Bound>, new: Option<Bound>) {
        self.bound(old, new, std::cmp::Ordering::Less);
    }

    /// A bound added is tighter, removed is looser; moved in the `narrower`
    /// direction, tighter, in the other, looser.
    fn bound(&mut self, old: Option<Bound>, new: Option<Bound>, narrower: std::cmp::Ordering) {
        match (old, new) {
            (None, Some(_)) => self.tighter = true,
            (Some(_), None) => self.looser = true,
            (Some(old), Some(new)) => {
                let moved = compare_bounds(new, old);
                if moved == narrower {
                    self.tighter = true;
                } else if moved == narrower.reverse() {
                    self.looser = true;
                }
            }
            (None, None) => {}
        }
    }
}

fn compare_bounds(a: Bound, b: Bound) -> std::cmp::Ordering {
    match (a, b) {
        (Bound::Int(a), Bound::Int(b)) => a.cmp(&b),
        _ => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
    }
}

fn tighter_of(a: Option<Bound>, b: Bound, lower: bool) -> Option<Bound> {
    Some(match a {
        None => b,
        Some(a) => {
            let ordering = compare_bounds(a, b);
            if (ordering == std::cmp::Ordering::Less) == lower {
                b
            } else {
                a
            }
        }
    })
}

/// The combined `range` of a field's rules.
fn effective_range(rules: &[PlanRule]) -> (Option<Bound>, Option<Bound>) {
    let (mut low, mut high) = (None, None);
    for rule in rules {
        if let PlanRule::Range { min, max } = rule {
            if let Some(min) = min {
                low = tighter_of(low, *min, true);
            }
            if let Some(max) = max {
                high = tighter_of(high, *max, false);
            }
        }
    }
    (low, high)
}

/// The combined `length` and `non_empty` of a field's rules.
fn effective_length(rules: &[PlanRule]) -> (Option<Bound>, Option<Bound>) {
    let (mut low, mut high) = (None, None);
    for rule in rules {
        match rule {
            PlanRule::Length { min, max } => {
                if let Some(min) = min {
                    low = tighter_of(low, Bound::Int((*min).into()), true);
                }
                if let Some(max) = max {
                    high = tighter_of(high, Bound::Int((*max).into()), false);
                }
            }
            PlanRule::NonEmpty => low = tighter_of(low, Bound::Int(1), true),
            PlanRule::Range { .. }
            | PlanRule::Pattern(_)
            | PlanRule::OneOf(_)
            | PlanRule::Custom(_) => {}
        }
    }
    (low, high)
}

/// The values every `one_of` rule allows (`None`: no `one_of`).
fn effective_one_of(rules: &[PlanRule]) -> Option<BTreeSet<&str>> {
    let mut allowed: Option<BTreeSet<&str>> = None;
    for rule in rules {
        if let PlanRule::OneOf(values) = rule {
            let values: BTreeSet<&str> = values.iter().map(String::as_str).collect();
            allowed = Some(match allowed {
                None => values,
                Some(current) => current.intersection(&values).copied().collect(),
            });
        }
    }
    allowed
}

/// The rules that constrain the same thing, compared as one: `length` and
/// `non_empty` together, each other rule on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Range,
    Length,
    OneOf,
    Pattern,
    Custom,
}

impl Family {
    const ALL: [Family; 5] = [
        Family::Range,
        Family::Length,
        Family::OneOf,
        Family::Pattern,
        Family::Custom,
    ];

    fn of(rule: &PlanRule) -> Family {
        match rule {
            PlanRule::Range { .. } => Family::Range,
            PlanRule::Length { .. } | PlanRule::NonEmpty => Family::Length,
            PlanRule::OneOf(_) => Family::OneOf,
            PlanRule::Pattern(_) => Family::Pattern,
            PlanRule::Custom(_) => Family::Custom,
        }
    }

    /// How the family's constraint moved from `old` to `new`.
    fn movement(self, old: &[PlanRule], new: &[PlanRule]) -> Movement {
        let mut movement = Movement::default();
        match self {
            Family::Range => {
                let ((old_min, old_max), (new_min, new_max)) =
                    (effective_range(old), effective_range(new));
                movement.lower(old_min, new_min);
                movement.upper(old_max, new_max);
            }
            Family::Length => {
                let ((old_min, old_max), (new_min, new_max)) =
                    (effective_length(old), effective_length(new));
                movement.lower(old_min, new_min);
                movement.upper(old_max, new_max);
            }
            Family::OneOf => match (effective_one_of(old), effective_one_of(new)) {
                (None, Some(_)) => movement.tighter = true,
                (Some(_), None) => movement.looser = true,
                (Some(old), Some(new)) => {
                    movement.tighter = old.difference(&new).next().is_some();
                    movement.looser = new.difference(&old).next().is_some();
                }
                (None, None) => {}
            },
            // A new or changed pattern (or custom function) may reject values
            // that passed before; one that is only gone cannot.
            Family::Pattern | Family::Custom => {
                let of = |rules: &[PlanRule]| -> BTreeSet<String> {
                    rules
                        .iter()
                        .filter(|rule| Family::of(rule) == self)
                        .map(ToString::to_string)
                        .collect()
                };
                let (before, after) = (of(old), of(new));
                movement.tighter = after.difference(&before).next().is_some();
                movement.looser = before.difference(&after).next().is_some();
            }
        }
        movement
    }

    /// The family's rules as declared, for the change's detail.
    fn show(self, rules: &[PlanRule]) -> String {
        let shown: Vec<String> = rules
            .iter()
            .filter(|rule| Family::of(rule) == self)
            .map(ToString::to_string)
            .collect();
        if shown.is_empty() {
            "none".to_owned()
        } else {
            shown.join(", ")
        }
    }
}

pub(super) fn compare_rules(
    differ: &mut Differ<'_>,
    path: &str,
    old: &[PlanRule],
    new: &[PlanRule],
) {
    for family in Family::ALL {
        let movement = family.movement(old, new);
        let detail = || format!("{} -> {}", family.show(old), family.show(new));
        if movement.tighter {
            differ.push(Some(path), ChangeKind::RuleTightened, detail());
        } else if movement.looser {
            differ.push(Some(path), ChangeKind::RuleLoosened, detail());
        }
    }
}

/// Struct-level `check` functions (of an event, or of the object at `path`):
/// a new one may reject data that passed, one removed cannot.
pub(super) fn compare_checks(
    differ: &mut Differ<'_>,
    path: Option<&str>,
    old: &[String],
    new: &[String],
) {
    for check in new.iter().filter(|check| !old.contains(check)) {
        differ.push(
            path,
            ChangeKind::RuleTightened,
            format!("check = {check} added"),
        );
    }
    for check in old.iter().filter(|check| !new.contains(check)) {
        differ.push(
            path,
            ChangeKind::RuleLoosened,
            format!("check = {check} removed"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::compare::compare_field;
    use super::*;
    use crate::plan::{PlanField, PlanType};

    fn field(rules: Vec<PlanRule>) -> PlanField {
        PlanField {
            name: "x".into(),
            rust_path: "x".into(),
            ty: PlanType::String,
            required: true,
            nullable: false,
            description: String::new(),
            rules,
            pii: false,
            deprecated: None,
            identity: None,
        }
    }

    fn rule_changes(old: Vec<PlanRule>, new: Vec<PlanRule>) -> Vec<(ChangeKind, String)> {
        let mut changes = Vec::new();
        let mut differ = Differ {
            event: "e",
            changes: &mut changes,
        };
        compare_field(&mut differ, "x", &field(old), &field(new));
        changes
            .into_iter()
            .map(|change| (change.kind, change.detail))
            .collect()
    }

    #[test]
    fn non_empty_and_length_min_1_are_the_same() {
        assert!(rule_changes(
            vec![PlanRule::NonEmpty],
            vec![PlanRule::Length {
                min: Some(1),
                max: None
            }]
        )
        .is_empty());
    }

    #[test]
    fn shifted_range_is_tightened() {
        let changes = rule_changes(
            vec![PlanRule::Range {
                min: Some(Bound::Int(0)),
                max: Some(Bound::Int(10)),
            }],
            vec![PlanRule::Range {
                min: Some(Bound::Int(-5)),
                max: Some(Bound::Int(5)),
            }],
        );
        assert_eq!(
            changes,
            vec![(
                ChangeKind::RuleTightened,
                "range(min = 0, max = 10) -> range(min = -5, max = 5)".to_owned()
            )]
        );
    }

    #[test]
    fn one_of_and_pattern_movements() {
        let one_of =
            |values: &[&str]| PlanRule::OneOf(values.iter().map(|v| v.to_string()).collect());
        assert_eq!(
            rule_changes(vec![one_of(&["a", "b"])], vec![one_of(&["a", "b", "c"])])[0].0,
            ChangeKind::RuleLoosened
        );
        assert_eq!(
            rule_changes(vec![one_of(&["a", "b"])], vec![one_of(&["a", "c"])])[0].0,
            ChangeKind::RuleTightened
        );
        assert_eq!(
            rule_changes(vec![PlanRule::Pattern("^a".into())], vec![])[0].0,
            ChangeKind::RuleLoosened
        );
        assert_eq!(
            rule_changes(vec![], vec![PlanRule::Custom("f".into())])[0].0,
            ChangeKind::RuleTightened
        );
    }
}
