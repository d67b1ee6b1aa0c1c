//! Issued circulars never change: `issue` records the PDF and its digest; afterwards a change to
//! the data, a template or anything else that would alter the circular makes `check` fail, naming
//! the month and the input, and `build --all` leaves the issued output alone; a revision is
//! explicit and recorded.

use crate::util::{Project, output};

#[test]
fn an_issued_circular_never_changes_and_a_revision_is_recorded() {
    let p = Project::march_only();
    let out = p.run(&["issue", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    let issued = std::fs::read(p.path("data/2023-03/issued.pdf")).unwrap();
    assert!(p.read("data/2023-03/issued.yaml").contains("版: 1"));
    assert_eq!(p.errors().0, 0, "issued and unchanged: check passes");
    let out = p.run(&["issue", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "issuing twice is refused: {}", output(&out));
    assert!(output(&out).contains("--revise"));

    // A template edit that does not change the circular (a comment) is fine.
    p.edit(
        "templates/gongwen.typ",
        "// GB/T 9704-2012",
        "// GB/T 9704-2012 (comment edited)",
    );
    let (code, errors) = p.errors();
    assert_eq!(code, 0, "{errors:#?}");

    // A template edit that would alter it: check names the month and the template.
    p.edit(
        "templates/gongwen.typ",
        "#let top-edge = 0.88em",
        "#let top-edge = 0.86em",
    );
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors
        .iter()
        .find(|d| d["code"] == "issued-changed")
        .expect("frozen month reported");
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("2023-03") && message.contains("templates/gongwen.typ"),
        "{d:#?}"
    );
    assert_eq!(d["file"], "data/2023-03/issued.yaml");
    // build --all does not overwrite the issued output with different bytes.
    let out = p.run(&["build", "--all"]);
    assert_eq!(out.status.code(), Some(1), "{}", output(&out));
    assert_eq!(std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap(), issued);
    p.edit(
        "templates/gongwen.typ",
        "#let top-edge = 0.86em",
        "#let top-edge = 0.88em",
    );

    // Unchanged again: build writes the issued PDF itself.
    std::fs::remove_file(p.path("out/2023-03/circular.pdf")).unwrap();
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    assert_eq!(std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap(), issued);

    // A data change is named too, and a revision records it.
    p.edit(
        "data/2023-03/12345.yaml",
        "邻里牵手转办: 155, 邻里牵手办结: 155",
        "邻里牵手转办: 156, 邻里牵手办结: 156",
    );
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    assert!(
        errors.iter().any(
            |d| d["code"] == "issued-changed" && d["message"].as_str().unwrap().contains("data/2023-03/12345.yaml")
        ),
        "{errors:#?}"
    );
    let out = p.run(&["issue", "2023-03", "--revise", "更正“邻里牵手”工单数"]);
    assert!(out.status.success(), "{}", output(&out));
    let record = p.read("data/2023-03/issued.yaml");
    assert!(
        record.contains("版: 2") && record.contains("原因: \"更正“邻里牵手”工单数\""),
        "{record}"
    );
    assert_ne!(std::fs::read(p.path("data/2023-03/issued.pdf")).unwrap(), issued);
    assert_eq!(p.errors().0, 0);
}
