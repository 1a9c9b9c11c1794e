//! The JSON and SARIF renderings: their shape, as tools read them.

use conduitc::diag::render;
use conduitc::model::Date;
use conduitc::{check, CheckOptions, Code, Sources};

const TEXT: &str = "owner ops { contact \"ops@example.com\" }
zone scada { level 2 owner ops networks 10.2.0.0/24 host master = 10.2.0.10 }
zone plant { level 1 owner ops networks 10.1.0.0/24 host plc = 10.1.0.5 }
conduit scada-plant {
  zones scada, plant
  owner ops
  mode monitor
  flow poll { reason \"Ünï\" from scada.master to plant.plcc service modbus }
}
";

fn checked() -> (Sources, conduitc::Checked) {
    let sources = Sources::from_memory("policy/plant.conduit", TEXT);
    let c = check(
        &sources,
        &CheckOptions::new(Date::parse("2026-12-01").unwrap()),
    );
    (sources, c)
}

#[test]
fn json_has_the_documented_shape() {
    let (sources, c) = checked();
    let v: serde_json::Value =
        serde_json::from_str(&render::json(&c.diagnostics, &sources, c.policy.as_ref())).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        ["diagnostics", "format_version", "policy"]
    );
    assert_eq!(v["format_version"], 1);
    assert!(v["policy"].is_null());
    // Sorted by position: the monitor-mode warning (line 7) comes first.
    assert_eq!(v["diagnostics"][0]["code"], "W107");
    assert_eq!(
        v["diagnostics"][0]["help"]
            .as_str()
            .map(|h| h.starts_with("switch to")),
        Some(true)
    );
    let d = &v["diagnostics"][1];
    let mut keys: Vec<&String> = d.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["code", "column", "end", "file", "help", "labels", "line", "message", "severity"]
    );
    assert_eq!(d["labels"], serde_json::json!([]));
    assert_eq!(d["code"], "E202");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "policy/plant.conduit");
    assert_eq!(d["line"], 8);
    // Columns count characters: `Ü` and `ï` are two bytes each but one column.
    assert_eq!(d["column"], 55);
    assert_eq!(d["end"], serde_json::json!({"line": 8, "column": 59}));
    assert_eq!(d["help"], "did you mean `plc`?");
}

/// JSON keeps the related places SARIF has, with the same positions.
#[test]
fn json_labels_are_sarifs_related_locations() {
    let text = "owner ops { contact \"ops@example.com\" }
zone plant { level 1 owner ops networks 10.1.0.0/24 }
zone Plant { level 1 owner ops networks 10.2.0.0/24 }
";
    let sources = Sources::from_memory("policy/plant.conduit", text);
    let c = check(
        &sources,
        &CheckOptions::new(Date::parse("2026-12-01").unwrap()),
    );
    let json: serde_json::Value =
        serde_json::from_str(&render::json(&c.diagnostics, &sources, None)).unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&render::sarif(&c.diagnostics, &sources)).unwrap();
    let d = &json["diagnostics"][0];
    let labels = d["labels"].as_array().unwrap();
    assert!(!labels.is_empty(), "{d}");
    assert_eq!(labels[0]["file"], "policy/plant.conduit");
    assert_eq!(labels[0]["line"], 2);
    assert_eq!(labels[0]["column"], 6);
    let related = sarif["runs"][0]["results"][0]["relatedLocations"]
        .as_array()
        .unwrap();
    assert_eq!(labels.len(), related.len());
    for (l, r) in labels.iter().zip(related) {
        let region = &r["physicalLocation"]["region"];
        assert_eq!(l["line"], region["startLine"]);
        assert_eq!(l["column"], region["startColumn"]);
        assert_eq!(l["end"]["line"], region["endLine"]);
        assert_eq!(l["end"]["column"], region["endColumn"]);
        assert_eq!(l["message"], r["message"]["text"]);
        assert!(!l["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn json_snapshot() {
    let (sources, c) = checked();
    insta::assert_snapshot!(render::json(&c.diagnostics, &sources, c.policy.as_ref()));
}

#[test]
fn sarif_has_what_code_scanning_needs() {
    let (sources, c) = checked();
    let v: serde_json::Value =
        serde_json::from_str(&render::sarif(&c.diagnostics, &sources)).unwrap();
    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "conduitc");
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), Code::ALL.len());
    for (r, c) in rules.iter().zip(Code::ALL) {
        assert_eq!(r["id"], c.as_str());
        assert_eq!(r["name"], c.slug());
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["help"]["text"].is_string());
    }
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), c.diagnostics.len());
    assert_eq!(results[0]["ruleId"], "W107");
    assert_eq!(results[0]["level"], "warning");
    let r = &results[1];
    assert_eq!(r["ruleId"], "E202");
    assert_eq!(
        rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "E202"
    );
    assert_eq!(r["level"], "error");
    assert!(r["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("zone `plant` has no host or group named `plcc`"));
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "policy/plant.conduit");
    assert_eq!(
        loc["region"],
        serde_json::json!({"startLine": 8, "startColumn": 55, "endLine": 8, "endColumn": 59})
    );
}

#[test]
fn sarif_snapshot() {
    let (sources, c) = checked();
    let v: serde_json::Value =
        serde_json::from_str(&render::sarif(&c.diagnostics, &sources)).unwrap();
    // The rule table is pinned by the test above; snapshot the results.
    insta::assert_json_snapshot!(v["runs"][0]["results"]);
}
