//! The Group Policy templates in `packaging/windows/policy` are valid XML and match the code:
//! every registry value the app reads has exactly one policy, under the key it reads, with the
//! type it expects; every policy is one the app reads; every name the ADMX uses is in the ADML.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{Policy, RawValue, SettingName, ValueType, REGISTRY_KEY};

const ADMX: &str = include_str!("../../../../../packaging/windows/policy/RecordingDesk.admx");
const ADML: &str = include_str!("../../../../../packaging/windows/policy/en-US/RecordingDesk.adml");

/// An element with its attributes, children and text.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    /// Every element below this one (depth first) named `name`.
    fn all<'a>(&'a self, name: &str, out: &mut Vec<&'a Node>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.all(name, out);
        }
    }

    fn find(&self, name: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        self.all(name, &mut out);
        out
    }
}

fn node(e: &BytesStart<'_>) -> Node {
    Node {
        name: e.local_name().as_ref().to_owned(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("a well-formed attribute");
                (a.key.0.to_owned(), a.value.into_owned())
            })
            .collect(),
        ..Node::default()
    }
}

/// Parses the whole document; a malformed one (an unclosed or mismatched tag) fails the test.
fn parse(xml: &str) -> Node {
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![Node::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => {
                let n = node(&e);
                stack.last_mut().expect("parent").children.push(n);
            }
            Event::End(_) => {
                let done = stack.pop().expect("an open element");
                stack.last_mut().expect("parent").children.push(done);
            }
            Event::Text(t) => stack.last_mut().expect("element").text.push_str(&t),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "every element is closed");
    let mut root = stack.pop().expect("document");
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.remove(0)
}

/// `$(string.X)` → `X`.
fn reference<'a>(value: &'a str, table: &str) -> &'a str {
    value
        .strip_prefix(&format!("$({table}."))
        .and_then(|v| v.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{value} is not a $({table}.…) reference"))
}

#[test]
fn the_admx_has_one_policy_per_setting_with_the_key_and_type_the_app_reads() {
    let admx = parse(ADMX);
    assert_eq!(admx.name, "policyDefinitions");
    let categories = admx.find("category");
    assert_eq!(categories.len(), 1);
    assert_eq!(categories[0].attr("name"), Some("RecordingDesk"));

    // Registry value name → the type of value the policy writes.
    let mut written: BTreeMap<String, ValueType> = BTreeMap::new();
    let mut put = |name: &str, ty: ValueType| {
        assert!(
            written.insert(name.to_owned(), ty).is_none(),
            "{name} is written by two policies"
        );
    };
    for policy in admx.find("policy") {
        let name = policy.attr("name").expect("name");
        assert_eq!(policy.attr("key"), Some(REGISTRY_KEY), "{name}");
        assert_eq!(
            policy.attr("class"),
            Some("Both"),
            "{name}: computer and user"
        );
        let parent = policy.find("parentCategory");
        assert_eq!(parent[0].attr("ref"), Some("RecordingDesk"), "{name}");
        if let Some(value) = policy.attr("valueName") {
            // An on/off policy: 1 when enabled, 0 when disabled.
            let decimal = |part: &str| {
                let n = policy.find(part);
                assert_eq!(n.len(), 1, "{name} {part}");
                n[0].find("decimal")[0].attr("value").map(str::to_owned)
            };
            assert_eq!(decimal("enabledValue").as_deref(), Some("1"), "{name}");
            assert_eq!(decimal("disabledValue").as_deref(), Some("0"), "{name}");
            put(value, ValueType::Flag);
        }
        for elements in policy.find("elements") {
            for e in &elements.children {
                let value = e.attr("valueName").expect("valueName");
                match e.name.as_str() {
                    "decimal" => {
                        let range = (e.attr("minValue"), e.attr("maxValue"));
                        let setting = SettingName::ALL
                            .into_iter()
                            .find(|s| s.key() == value)
                            .unwrap_or_else(|| panic!("{name}: {value} is not read by the app"));
                        let numbers = setting.number_range().expect("a number setting");
                        let expected = (numbers.start().to_string(), numbers.end().to_string());
                        assert_eq!(
                            range,
                            (Some(expected.0.as_str()), Some(expected.1.as_str())),
                            "{name}"
                        );
                        put(value, ValueType::Number);
                    }
                    "text" => put(value, ValueType::Text),
                    "enum" => {
                        // Every choice is a value the app takes without complaint.
                        for s in e.find("string") {
                            let read = Policy::from_entries([(
                                value.to_owned(),
                                RawValue::Text(s.text.clone()),
                            )]);
                            assert!(read.problems.is_empty(), "{name}: {:?}", read.problems);
                            assert_ne!(read.policy, Policy::default(), "{name}: {}", s.text);
                        }
                        put(value, ValueType::Text);
                    }
                    other => panic!("{name}: element {other} not read by the app"),
                }
            }
        }
    }
    let read_by_the_app: BTreeMap<String, ValueType> = SettingName::ALL
        .into_iter()
        .map(|s| (s.key().to_owned(), s.value_type()))
        .collect();
    assert_eq!(written, read_by_the_app);
}

#[test]
fn every_name_the_admx_uses_is_in_the_adml() {
    let admx = parse(ADMX);
    let adml = parse(ADML);
    assert_eq!(adml.name, "policyDefinitionResources");
    let strings: BTreeMap<&str, &str> = adml
        .find("string")
        .into_iter()
        .map(|s| (s.attr("id").expect("id"), s.text.trim()))
        .collect();
    assert_eq!(strings.get("RecordingDesk"), Some(&"Recording Desk"));

    let mut used = BTreeSet::new();
    let mut presentations = BTreeMap::new();
    fn walk<'a>(
        n: &'a Node,
        used: &mut BTreeSet<&'a str>,
        presentations: &mut BTreeMap<&'a str, &'a Node>,
    ) {
        for (key, value) in &n.attrs {
            if key == "presentation" {
                presentations.insert(reference(value, "presentation"), n);
            } else if value.starts_with("$(string.") {
                used.insert(reference(value, "string"));
            }
        }
        for c in &n.children {
            walk(c, used, presentations);
        }
    }
    walk(&admx, &mut used, &mut presentations);
    for id in &used {
        let text = strings
            .get(id)
            .unwrap_or_else(|| panic!("{id} missing from the ADML"));
        assert!(!text.is_empty(), "{id} is empty");
    }
    for policy in admx.find("policy") {
        for part in ["displayName", "explainText"] {
            assert!(policy.attr(part).is_some(), "{policy:?} has no {part}");
        }
    }

    let shown: BTreeMap<&str, &Node> = adml
        .find("presentation")
        .into_iter()
        .map(|p| (p.attr("id").expect("id"), p))
        .collect();
    assert_eq!(
        shown.keys().collect::<Vec<_>>(),
        presentations.keys().collect::<Vec<_>>()
    );
    for (id, policy) in presentations {
        let ids: BTreeSet<&str> = policy
            .find("elements")
            .iter()
            .flat_map(|e| e.children.iter().filter_map(|c| c.attr("id")))
            .collect();
        let refs: BTreeSet<&str> = shown[id]
            .children
            .iter()
            .filter_map(|c| c.attr("refId"))
            .collect();
        assert_eq!(ids, refs, "presentation {id}");
    }
}
