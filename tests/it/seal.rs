//! `tongbao issue MONTH --seal SEAL.esl --seal-key KEY`: the issued OFD sealed per GB/T 38540,
//! checked by programs no one here wrote: OpenSSL verifies both SM2 layers (the office's signature
//! over `TBS_Sign`, whose digest of `Signature.xml` it recomputes, and the seal maker's over the
//! seal's information) and the office's certificate against the test CA; ofd-core recomputes the
//! SM3 digest of every file the seal protects. The SM2 certificates are made here with OpenSSL.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use crate::sign::{der_children, openssl};
use crate::util::git::git;
use crate::util::{Project, output};

const DISTID: &str = "distid:1234567812345678";
const SEAL_A: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="420"><circle cx="210" cy="210" r="200" fill="none" stroke="#e60012" stroke-width="14"/></svg>"##;
const SEAL_B: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="420"><circle cx="210" cy="210" r="190" fill="none" stroke="#e60012" stroke-width="18"/></svg>"##;

/// An SM2 CA, a seal maker and offices with SM2 certificates the CA issued (`office`,
/// `finance`, and `old`, expired), each key and certificate also in one PEM (`NAME-all.pem`), in a
/// folder outside any project.
pub(crate) fn sm2_keys() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = |name: &str| openssl(d, &["genpkey", "-algorithm", "SM2", "-out", &format!("{name}.key")]);
    key("ca");
    openssl(
        d,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "ca.key",
            "-sm3",
            "-sigopt",
            DISTID,
            "-subj",
            "/CN=测试SM2根证书",
            "-utf8",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-out",
            "ca.pem",
        ],
    );
    for (name, cn, days) in [
        ("maker", "/CN=制章机构", "30"),
        ("office", "/CN=西宁市城中区人民政府办公室", "30"),
        ("finance", "/CN=西宁市城中区财政局", "30"),
        ("old", "/CN=过期的证书", "0"),
    ] {
        key(name);
        let (csr, pem) = (format!("{name}.csr"), format!("{name}.pem"));
        openssl(
            d,
            &[
                "req",
                "-new",
                "-key",
                &format!("{name}.key"),
                "-sm3",
                "-sigopt",
                DISTID,
                "-subj",
                cn,
                "-utf8",
                "-out",
                &csr,
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-sm3",
                "-sigopt",
                DISTID,
                "-vfyopt",
                DISTID,
                "-days",
                days,
                "-out",
                &pem,
            ],
        );
        let all = [
            std::fs::read_to_string(d.join(format!("{name}.key"))).unwrap(),
            std::fs::read_to_string(d.join(&pem)).unwrap(),
        ];
        std::fs::write(d.join(format!("{name}-all.pem")), all.concat()).unwrap();
        openssl(
            d,
            &[
                "pkey",
                "-in",
                &format!("{name}.key"),
                "-pubout",
                "-out",
                &format!("{name}.pub"),
            ],
        );
    }
    // The expired certificate's validity ended when it was made.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    dir
}

/// March in a git repository trusting the SM2 CA, printing `seals` (one office, or a joint
/// circular of the district office and the finance bureau), with an electronic seal made by
/// `tongbao seal` for each (`assets/seal-N.esl`, held by `holders[N]`).
fn project(keys: &Path, seals: &[&str], holders: &[&str]) -> Project {
    let p = Project::march_only();
    std::fs::create_dir_all(p.path("certs")).unwrap();
    std::fs::copy(keys.join("ca.pem"), p.path("certs/ca.pem")).unwrap();
    p.write("tongbao.yaml", "信任的证书: [certs/ca.pem]\n输出: [pdf, ofd]\n");
    std::fs::create_dir_all(p.path("assets")).unwrap();
    let mut pictures = Vec::new();
    for (i, svg) in seals.iter().enumerate() {
        let picture = format!("assets/seal-{i}.svg");
        p.write(&picture, svg);
        let holder = keys.join(format!("{}.pem", holders[i]));
        let maker = keys.join("maker-all.pem");
        let out = p.run(&[
            "seal",
            "--picture",
            &picture,
            "--name",
            if i == 0 {
                "西宁市城中区人民政府办公室"
            } else {
                "西宁市城中区财政局"
            },
            "--maker",
            maker.to_str().unwrap(),
            "--holder",
            holder.to_str().unwrap(),
            "--out",
            &format!("assets/seal-{i}.esl"),
        ]);
        assert!(out.status.success(), "{}", output(&out));
        pictures.push(picture);
    }
    let doc = p.read("data/2023-03/document.yaml");
    if seals.len() > 1 {
        p.write(
            "data/2023-03/document.yaml",
            &format!("{doc}版式:\n  联合行文: true\n  印章: [{}]\n", pictures.join(", ")),
        );
        p.edit(
            "data/2023-03/通报.txt",
            "西宁市城中区人民政府办公室\n2023年",
            "西宁市城中区人民政府办公室\n西宁市城中区财政局\n2023年",
        );
    } else {
        p.write(
            "data/2023-03/document.yaml",
            &format!("{doc}版式:\n  印章: {}\n", pictures[0]),
        );
    }
    git(p.root(), &["init", "-q"]);
    git(p.root(), &["add", "-A"]);
    git(p.root(), &["commit", "-q", "-m", "三月数据"]);
    p
}

/// `tongbao issue 2023-03 --seal assets/seal-N.esl --seal-key KEY …` for each key.
fn issue_sealed(p: &Project, keys: &Path, names: &[&str]) -> std::process::Output {
    issue_with(p, keys, names, &[])
}

/// The same with `more` arguments before the seals.
fn issue_with(p: &Project, keys: &Path, names: &[&str], more: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["issue".into(), "2023-03".into()];
    args.extend(more.iter().map(|a| a.to_string()));
    for (i, name) in names.iter().enumerate() {
        args.extend(["--seal".into(), format!("assets/seal-{i}.esl"), "--seal-key".into()]);
        args.push(keys.join(format!("{name}-all.pem")).to_string_lossy().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    p.run(&args)
}

/// Every file of an OFD package, by name, in its order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            (entry.name().unwrap().to_string(), data)
        })
        .collect()
}

fn rezip(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in parts {
        writer
            .start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn part<'a>(parts: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &parts
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .1
}

/// The contents of a BIT STRING's encoding (without its unused-bits octet).
fn bits(tlv: &[u8]) -> &[u8] {
    let head = if tlv[1] < 0x80 { 2 } else { 2 + (tlv[1] & 0x7f) as usize };
    &tlv[head + 1..]
}

/// The contents of an OCTET STRING's encoding.
fn octets(tlv: &[u8]) -> &[u8] {
    let head = if tlv[1] < 0x80 { 2 } else { 2 + (tlv[1] & 0x7f) as usize };
    &tlv[head..]
}

/// Whether OpenSSL verifies `signature` (DER) as the SM2/SM3 signature of `public` over `data`.
fn sm2_verified(dir: &Path, public: &Path, data: &[u8], signature: &[u8]) -> bool {
    std::fs::write(dir.join("data.der"), data).unwrap();
    std::fs::write(dir.join("sig.der"), signature).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sm3", "-verify"])
        .arg(public)
        .args(["-sigopt", DISTID, "-signature", "sig.der", "data.der"])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

/// OpenSSL's check of seal `n` of a sealed OFD: the office's SM2 signature over `TBS_Sign` with
/// `office`'s public key, its `dataHash` the SM3 of `Signature.xml`, the maker's SM2 signature
/// over the seal's information, and the office's certificate in the signature issued by the CA.
fn openssl_checks(dir: &Path, parts: &[(String, Vec<u8>)], n: usize, office: &str) -> Result<(), String> {
    let value = part(parts, &format!("Doc_0/Signs/Sign_{n}/SignedValue.dat"));
    let signature = der_children(value);
    let tbs = der_children(signature[0]);
    let office_pub = dir.join(format!("{office}.pub"));
    if !sm2_verified(dir, &office_pub, signature[0], bits(signature[3])) {
        return Err("the office's signature over TBS_Sign".into());
    }
    std::fs::write(
        dir.join("signature.xml"),
        part(parts, &format!("Doc_0/Signs/Sign_{n}/Signature.xml")),
    )
    .unwrap();
    let sm3 = Command::new("openssl")
        .args(["dgst", "-sm3", "-binary", "signature.xml"])
        .current_dir(dir)
        .output()
        .unwrap()
        .stdout;
    if bits(tbs[3]) != sm3.as_slice() {
        return Err("dataHash is not the SM3 of Signature.xml".into());
    }
    let seal = der_children(tbs[1]);
    if !sm2_verified(dir, &dir.join("maker.pub"), seal[0], bits(seal[3])) {
        return Err("the maker's signature over SES_SealInfo".into());
    }
    std::fs::write(dir.join("signer.der"), octets(signature[1])).unwrap();
    let out = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-in", "signer.der", "-out", "signer.pem"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = Command::new("openssl")
        .args(["verify", "-vfyopt", DISTID, "-CAfile", "ca.pem", "signer.pem"])
        .current_dir(dir)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(format!("certificate: {}", String::from_utf8_lossy(&out.stdout)));
    }
    Ok(())
}

/// ofd-core's verdict on each seal: its type, the number of files it protects, valid or not.
fn ofd_core(file: &Path) -> Vec<(String, usize, bool)> {
    let report = ofd_core::verify::check_path(file);
    report
        .signatures
        .iter()
        .map(|s| {
            (
                s.sig_type.clone(),
                s.references.len(),
                s.verdict() == ofd_core::verify::SigVerdict::Valid,
            )
        })
        .collect()
}

#[test]
fn an_issued_ofd_carries_the_offices_electronic_seal_where_the_seal_is_printed() {
    let keys = sm2_keys();
    let k = keys.path();
    let p = project(k, &[SEAL_A], &["office"]);
    let out = issue_sealed(&p, k, &["office"]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(
        output(&out).contains("OFD 已加盖电子印章“西宁市城中区人民政府办公室”：签章者 CN=西宁市城中区人民政府办公室"),
        "{}",
        output(&out)
    );
    let issued = p.path("data/2023-03/issued.ofd");
    let bytes = std::fs::read(&issued).unwrap();
    let parts = unzip(&bytes);
    // ofd-core: one seal, every file it protects unchanged.
    let verdicts = ofd_core(&issued);
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    let (kind, references, valid) = &verdicts[0];
    assert!(kind == "Seal" && *valid && *references > 10, "{verdicts:?}");
    assert!(ofd_core::verify::check_path(&issued).conforms());
    // OpenSSL: both SM2 layers and the certificate.
    openssl_checks(k, &parts, 0, "office").unwrap();
    // The stamp is where the page prints the seal: 42 mm, on the signature page.
    let xml = String::from_utf8(part(&parts, "Doc_0/Signs/Sign_0/Signature.xml").to_vec()).unwrap();
    let boundary: Vec<f64> = xml
        .split("Boundary=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(
        (boundary[2] - 42.0).abs() < 0.5 && (boundary[3] - 42.0).abs() < 0.5,
        "{boundary:?}"
    );
    let page_ref = xml.split("PageRef=\"").nth(1).unwrap().split('"').next().unwrap();
    let document = String::from_utf8(part(&parts, "Doc_0/Document.xml").to_vec()).unwrap();
    assert!(document.contains(&format!("<ofd:Page ID=\"{page_ref}\"")), "{page_ref}");
    // The printed seal's image is on that page at that place.
    let content = parts
        .iter()
        .find(|(n, c)| n.ends_with("Content.xml") && String::from_utf8_lossy(c).contains("ImageObject"))
        .map(|(_, c)| String::from_utf8_lossy(c).to_string())
        .unwrap();
    assert!(
        content.contains(
            &format!("Boundary=\"{:.2}", boundary[0])
                .chars()
                .take(14)
                .collect::<String>()
        ),
        "{content}"
    );

    // tongbao verify: seal intact, certificate trusted, the file the record holds.
    git(p.root(), &["add", "-A"]);
    git(p.root(), &["commit", "-q", "-m", "发布"]);
    let out = p.run(&["verify", issued.to_str().unwrap()]);
    let said = output(&out);
    assert!(out.status.success(), "{said}");
    for line in [
        "电子印章 1：完好，“西宁市城中区人民政府办公室”；签章者 CN=西宁市城中区人民政府办公室；制章者 CN=制章机构",
        "证书：可追溯到信任的证书 CN=测试SM2根证书",
        "发布记录：与 2023-03 第 1 版发布的 OFD 逐字节相同",
    ] {
        assert!(said.contains(line), "{line}\n{said}");
    }
    let out = p.run(&["check", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));

    // One byte of a page altered after sealing: ofd-core and tongbao refuse it.
    let altered_dir = tempfile::tempdir().unwrap();
    let altered_file = altered_dir.path().join("altered.ofd");
    let mut altered = parts.clone();
    let page = altered
        .iter_mut()
        .find(|(n, _)| n == "Doc_0/Pages/Page_0/Content.xml")
        .unwrap();
    let at = page.1.len() / 2;
    page.1[at] ^= 1;
    std::fs::write(&altered_file, rezip(&altered)).unwrap();
    assert!(!ofd_core(&altered_file)[0].2, "ofd-core finds the change");
    let out = p.run(&["verify", altered_file.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", output(&out));
    assert!(
        output(&out).contains("电子印章 1：无效：受保护的文件 Doc_0/Pages/Page_0/Content.xml 在盖章之后被改动过"),
        "{}",
        output(&out)
    );

    // The seal's picture swapped inside the signature: OpenSSL and tongbao refuse both layers.
    let mut swapped = parts.clone();
    let value = swapped
        .iter_mut()
        .find(|(n, _)| n.ends_with("SignedValue.dat"))
        .unwrap();
    let at = value.1.windows(7).position(|w| w == b"#e60012").unwrap();
    value.1[at + 6] = b'3';
    let err = openssl_checks(k, &swapped, 0, "office").unwrap_err();
    assert!(err.contains("office's signature"), "{err}");
    std::fs::write(&altered_file, rezip(&swapped)).unwrap();
    let out = p.run(&["verify", altered_file.to_str().unwrap()]);
    assert!(
        !out.status.success() && output(&out).contains("签章者的 SM2 签名无效"),
        "{}",
        output(&out)
    );
    // The same picture swapped in the seal file beside it: it is no longer the seal signed.
    let mut beside = parts.clone();
    let esl = beside.iter_mut().find(|(n, _)| n.ends_with("Seal.esl")).unwrap();
    let at = esl.1.windows(7).position(|w| w == b"#e60012").unwrap();
    esl.1[at + 6] = b'3';
    std::fs::write(&altered_file, rezip(&beside)).unwrap();
    let out = p.run(&["verify", altered_file.to_str().unwrap()]);
    assert!(
        !out.status.success() && output(&out).contains("Seal.esl 与签章中的印章不同"),
        "{}",
        output(&out)
    );
}

#[test]
fn a_joint_circulars_pdf_is_signed_and_its_ofd_sealed_by_each_office_and_bad_seals_are_refused() {
    let keys = sm2_keys();
    let k = keys.path();
    let p = project(k, &[SEAL_A, SEAL_B], &["office", "finance"]);
    // The PDF signed by both offices (RSA and ECDSA keys), the OFD sealed by both, in one issue.
    let pades = crate::sign::Keys::make();
    let (rsa, ec) = (pades.path("rsa.p12"), pades.path("ec-chain.pem"));
    let sign = ["--sign", rsa.to_str().unwrap(), "--sign", ec.to_str().unwrap()];
    let out = Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(["issue", "2023-03"])
        .args(sign)
        .args(["--seal", "assets/seal-0.esl", "--seal-key"])
        .arg(k.join("office-all.pem"))
        .args(["--seal", "assets/seal-1.esl", "--seal-key"])
        .arg(k.join("finance-all.pem"))
        .arg("--root")
        .arg(p.root())
        .env("TONGBAO_KEY_PASSWORD", crate::sign::PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output(&out));
    let pdf = p.path("data/2023-03/issued.pdf");
    let report = crate::sign::pdfsig(&pdf);
    assert_eq!(report.matches("Signature is Valid.").count(), 2, "{report}");
    assert!(
        report.contains("Signature #2") && report.contains("Total document signed"),
        "{report}"
    );
    let (valid, verdict) = crate::sign::pyhanko(&pdf, &pades.path("ca.pem"));
    assert!(valid, "{verdict}");
    // The first office's signature stays valid, the second's addition being a signature only.
    assert!(
        verdict.contains("单位签名:")
            && verdict.contains(":INTACT:TRUSTED,EXTENDED_WITH_FORM_FILLING,ACCEPTABLE_MODIFICATIONS"),
        "{verdict}"
    );
    assert!(
        verdict.trim_end().ends_with(":INTACT:TRUSTED,UNTOUCHED") && verdict.contains("单位签名2:"),
        "{verdict}"
    );
    std::fs::copy(pades.path("ca.pem"), p.path("certs/pades-ca.pem")).unwrap();
    p.write(
        "tongbao.yaml",
        "信任的证书: [certs/ca.pem, certs/pades-ca.pem]\n输出: [pdf, ofd]\n",
    );
    let out = p.run(&["verify", pdf.to_str().unwrap()]);
    let said = output(&out);
    assert!(said.contains("签名 1：完好，覆盖它签名时的文件"), "{said}");
    assert!(said.contains("签名 2：完好，覆盖整个文件"), "{said}");
    assert!(said.contains("与该文件签名前的内容逐字节相同"), "{said}");
    let issued = p.path("data/2023-03/issued.ofd");
    let parts = unzip(&std::fs::read(&issued).unwrap());
    let verdicts = ofd_core(&issued);
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    assert!(verdicts.iter().all(|v| v.2), "{verdicts:?}");
    // The second seal protects the first (continued sealing).
    assert!(verdicts[1].1 > verdicts[0].1, "{verdicts:?}");
    openssl_checks(k, &parts, 0, "office").unwrap();
    openssl_checks(k, &parts, 1, "finance").unwrap();
    let stamp = |n: usize| {
        let xml = String::from_utf8(part(&parts, &format!("Doc_0/Signs/Sign_{n}/Signature.xml")).to_vec()).unwrap();
        xml.split("Boundary=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    assert_ne!(stamp(0), stamp(1), "each seal at its own office's place");
    let out = p.run(&["verify", issued.to_str().unwrap()]);
    let said = output(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("电子印章 2：完好，“西宁市城中区财政局”；签章者 CN=西宁市城中区财政局"),
        "{said}"
    );

    // One seal for two printed seals, a key the seal does not list, an expired certificate: each
    // refused before anything is issued; OpenSSL refuses the expired certificate too.
    let p = project(k, &[SEAL_A, SEAL_B], &["office", "finance"]);
    let out = issue_sealed(&p, k, &["office"]);
    assert!(
        !out.status.success() && output(&out).contains("通报印有 2 枚印章，给了 1 个电子印章"),
        "{}",
        output(&out)
    );
    let out = issue_sealed(&p, k, &["finance", "office"]);
    assert!(
        output(&out).contains("没有授权证书“CN=西宁市城中区财政局”使用"),
        "{}",
        output(&out)
    );
    let p = project(k, &[SEAL_A], &["old"]);
    let out = issue_sealed(&p, k, &["old"]);
    assert!(
        output(&out).contains("签章者的证书已于") && output(&out).contains("过期"),
        "{}",
        output(&out)
    );
    assert!(!p.path("data/2023-03/issued.ofd").exists() && !p.path("data/2023-03/issued.pdf").exists());
    let out = Command::new("openssl")
        .args(["verify", "-vfyopt", DISTID, "-CAfile", "ca.pem", "old.pem"])
        .current_dir(k)
        .output()
        .unwrap();
    assert!(
        !out.status.success() && output(&out).contains("certificate has expired"),
        "{}",
        output(&out)
    );
    // Without an OFD among the outputs there is nothing to seal.
    let p = project(k, &[SEAL_A], &["office"]);
    p.write("tongbao.yaml", "信任的证书: [certs/ca.pem]\n");
    git(p.root(), &["commit", "-qam", "只发 PDF"]);
    let out = issue_sealed(&p, k, &["office"]);
    assert!(output(&out).contains("没有 OFD，无法加盖电子印章"), "{}", output(&out));
}
