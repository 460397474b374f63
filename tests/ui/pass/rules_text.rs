//! `length`, `non_empty`, `pattern` and `one_of` on every string type, and
//! `length` / `non_empty` on collections and maps, bare and in an `Option`.
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "texts")]
struct Texts {
    #[analytics(length(min = 1, max = 8), non_empty, pattern = "^[a-z]+$", one_of = ["shell", "patch"])]
    string: String,
    #[analytics(length(max = 3), non_empty, pattern = "x", one_of = ["x", "xx"])]
    boxed: Box<str>,
    #[analytics(length(min = 2), non_empty, pattern = "^c", one_of = ["cow", "calf"])]
    cow: Cow<'static, str>,
    #[analytics(length(min = 1, max = 4), non_empty, pattern = "^[0-9]+$", one_of = ["1", "22"])]
    maybe: Option<String>,
    #[analytics(length(max = 2), non_empty)]
    items: Vec<String>,
    #[analytics(length(min = 1))]
    numbers: Option<Vec<u64>>,
    #[analytics(non_empty)]
    maybe_boxed: Option<Box<str>>,
    #[analytics(length(min = 1, max = 9), non_empty, pattern = "^[a-z]+$", one_of = ["static"])]
    borrowed: &'static str,
    #[analytics(non_empty, one_of = ["a"])]
    maybe_borrowed: Option<&'static str>,
    #[analytics(length(max = 1), non_empty)]
    map: BTreeMap<String, u32>,
    #[analytics(length(min = 1))]
    maybe_map: Option<HashMap<String, bool>>,
}

fn main() {
    let mut event = Texts {
        string: "shell".into(),
        boxed: "xx".into(),
        cow: Cow::Borrowed("calf"),
        maybe: None,
        items: vec!["a".into()],
        numbers: None,
        maybe_boxed: None,
        borrowed: "static",
        maybe_borrowed: None,
        map: [("k".to_owned(), 1)].into(),
        maybe_map: None,
    };
    event.validate().unwrap();
    event.maybe = Some("22".into());
    event.numbers = Some(vec![1]);
    event.validate().unwrap();
    event.maybe = Some(String::new());
    event.numbers = Some(Vec::new());
    event.maybe_boxed = Some("".into());
    event.maybe_borrowed = Some("");
    event.map.clear();
    event.maybe_map = Some(HashMap::new());
    let errors = event.validate().unwrap_err();
    assert_eq!(errors.len(), 10, "{errors}");
}
