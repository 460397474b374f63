//! Issue 12, finding 2: a recursive type (`Node { children: Vec<Node> }`)
//! hung `schema()`, `catalog::events()` and the client, its schema's
//! `OnceLock` re-entering its own initialisation. Now its schema refers to
//! itself (`FieldType::Ref`), its JSON Schema uses `$defs`/`$ref`, and the
//! tracking plan writes and reads it by reference.
//!
//! Every call that used to hang runs on a thread joined with a deadline, so
//! a regression fails the test instead of hanging CI.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use analytics_core::plan::PlanType;
use analytics_core::{
    catalog, AnalyticsEvent, AnalyticsFields, Client, FieldType, MemorySink, PiiPolicy,
    TrackingPlan,
};

use jsonschema::Validator;
use serde_json::{json, Value};

/// A tree node.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Node {
    /// The node's label.
    #[analytics(non_empty)]
    pub label: String,
    /// The node's owner.
    #[analytics(pii)]
    pub owner: Option<String>,
    /// Its children.
    pub children: Vec<Node>,
    /// A node through another type: mutual recursion.
    pub link: Option<Link>,
}

/// A link to another node.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Link {
    /// The weight of the link.
    pub weight: u8,
    /// The node linked to.
    pub target: Option<Box<Node>>,
}

/// A tree was saved.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "tree_saved")]
pub struct TreeSaved {
    /// The root.
    pub root: Node,
}

/// Runs `call` on its own thread; fails if it does not return within 10 s.
fn within_deadline<T: Send + 'static>(what: &str, call: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(call());
    });
    match result.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} hangs on a recursive type"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked on a recursive type"),
    }
}

fn tree_root() -> Node {
    tree().root
}

fn tree() -> TreeSaved {
    let leaf = |label: &str| Node {
        label: label.into(),
        owner: Some("ada@example.com".into()),
        children: Vec::new(),
        link: None,
    };
    TreeSaved {
        root: Node {
            label: "root".into(),
            owner: None,
            children: vec![
                leaf("a"),
                Node {
                    link: Some(Link {
                        weight: 3,
                        target: Some(Box::new(leaf("c"))),
                    }),
                    ..leaf("b")
                },
            ],
            link: None,
        },
    }
}

#[test]
fn finding_2_recursive_schema_does_not_hang() {
    let schema = within_deadline("schema()", TreeSaved::schema);
    let FieldType::Object(node) = schema.field("root").unwrap().ty else {
        panic!("root is an object: {:?}", schema.field("root"));
    };
    assert_eq!(node.name, "Node");
    let children = node.fields.iter().find(|f| f.name == "children").unwrap();
    assert_eq!(children.ty, FieldType::Array(&FieldType::Ref("Node")));
    assert_eq!(children.ty.describe(), "array of object Node");
    // `link` is an object or a `Ref("Link")`, `Link::target` an object or a
    // `Ref("Node")`, depending on which schema another test built first; the
    // plan is the same either way (below).
}

/// A link was followed.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "link_followed")]
pub struct LinkFollowed {
    /// The link.
    pub link: Link,
}

#[test]
fn finding_2_plan_does_not_depend_on_the_build_order() {
    let (tree, link) = within_deadline("schema()", || {
        (
            TrackingPlan::from_events(&[TreeSaved::schema()]),
            TrackingPlan::from_events(&[LinkFollowed::schema()]),
        )
    });
    let node = |plan: &TrackingPlan, event: &str, field: &str| {
        plan.event(event).unwrap().field(field).unwrap().ty.clone()
    };
    let PlanType::Object(root) = node(&tree, "tree_saved", "root") else {
        panic!("root is an object");
    };
    let PlanType::Object(link_object) = node(&link, "link_followed", "link") else {
        panic!("link is an object");
    };
    // Node { children: [Ref Node], link: Link { target: Ref Node } }
    let PlanType::Object(inner_link) = &root.fields[3].ty else {
        panic!(
            "Node.link is an object inside Node: {:?}",
            root.fields[3].ty
        );
    };
    assert_eq!(inner_link.fields[1].ty, PlanType::Ref("Node".into()));
    // Link { target: Node { children: [Ref Node], link: Ref Link } }: self-contained.
    let PlanType::Object(target) = &link_object.fields[1].ty else {
        panic!(
            "Link.target is an object outside Node: {:?}",
            link_object.fields[1].ty
        );
    };
    assert_eq!(target.name, "Node");
    assert_eq!(target.fields[3].ty, PlanType::Ref("Link".into()));
    let schema = LinkFollowed::schema().json_schema();
    assert!(schema["$defs"]["Node"].is_object(), "{schema}");
    let validator = Validator::new(&schema).unwrap();
    let event = LinkFollowed {
        link: Link {
            weight: 1,
            target: Some(Box::new(tree_root())),
        },
    };
    let value = serde_json::to_value(analytics_core::TrackEventRequest::from(event)).unwrap();
    assert!(validator.is_valid(&value), "{value}");
}

#[test]
fn finding_2_catalog_and_plan_do_not_hang() {
    let names = within_deadline("catalog::events()", || {
        catalog::events()
            .map(|event| event.name)
            .collect::<Vec<_>>()
    });
    assert!(names.contains(&"tree_saved"), "{names:?}");
    let plan = within_deadline("TrackingPlan::from_catalog()", TrackingPlan::from_catalog);
    let json = plan.to_json();
    assert!(json.contains("\"ref\": \"Node\""), "{json}");
    let back = TrackingPlan::from_json(&json).unwrap();
    assert_eq!(back, plan);
    assert_eq!(back.to_json(), json);
    let markdown = plan.to_markdown();
    assert!(
        markdown.contains("| `root.children` | array of object Node |"),
        "{markdown}"
    );
    assert!(TrackingPlan::diff(&plan, &back).is_empty());
}

#[test]
fn finding_2_json_schema_refers_to_the_definition() {
    let schema = within_deadline("json_schema()", || TreeSaved::schema().json_schema());
    assert_eq!(
        schema["$defs"]["Node"]["properties"]["children"]["items"],
        json!({ "$ref": "#/$defs/Node" })
    );
    let validator = Validator::new(&schema).unwrap();
    let valid: Value =
        serde_json::to_value(analytics_core::TrackEventRequest::from(tree())).unwrap();
    assert!(validator.is_valid(&valid), "{valid}");
    // A node deep in the tree with a wrong type is caught through the `$ref`.
    let mut invalid = valid.clone();
    invalid["event_params"]["root"]["children"][1]["link"]["target"]["children"] =
        json!([{"label": 1}]);
    assert!(!validator.is_valid(&invalid), "{invalid}");
    let mut empty_label = valid;
    empty_label["event_params"]["root"]["children"][0]["label"] = json!("");
    assert!(!validator.is_valid(&empty_label));
}

#[test]
fn finding_2_client_tracks_a_recursive_event() {
    let sink = MemorySink::new();
    let events = sink.clone();
    within_deadline("Client::track", move || {
        let client = Client::builder()
            .sink(sink)
            .pii_policy(PiiPolicy::Drop)
            .build()
            .unwrap();
        client.track(tree()).unwrap();
        client.shutdown(Duration::from_secs(5)).unwrap();
    });
    // `PiiPolicy::Drop` removes the owner at every depth, through the `Ref`s
    // of the recursive type too (the client's PII walk follows them).
    let mut expected = tree();
    fn forget_owners(node: &mut Node) {
        node.owner = None;
        node.children.iter_mut().for_each(forget_owners);
        if let Some(target) = node.link.as_mut().and_then(|link| link.target.as_mut()) {
            forget_owners(target);
        }
    }
    forget_owners(&mut expected.root);
    assert_eq!(events.events::<TreeSaved>(), vec![expected]);
}
