//! The loader against the API's own engine behind HTTP (`edfi_core::handle` over a memory store,
//! served by the tests' fake server), with answers lost, failures and reordered records.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use edfi_core::{Config, Context, MemoryStore};
use serde_json::{json, Value};

use super::*;
use crate::fake_server::{Answer, Fake, Request, HANG_UP};

/// Ed-Fi's descriptors the records below use.
const DESCRIPTORS: &str = r#"<InterchangeDescriptors xmlns="http://ed-fi.org/5.2.0">
  <GradeLevelDescriptor><CodeValue>Ninth grade</CodeValue><ShortDescription>Ninth grade</ShortDescription><Namespace>uri://ed-fi.org/GradeLevelDescriptor</Namespace></GradeLevelDescriptor>
  <EducationOrganizationCategoryDescriptor><CodeValue>School</CodeValue><ShortDescription>School</ShortDescription><Namespace>uri://ed-fi.org/EducationOrganizationCategoryDescriptor</Namespace></EducationOrganizationCategoryDescriptor>
  <AcademicSubjectDescriptor><CodeValue>Mathematics</CodeValue><ShortDescription>Mathematics</ShortDescription><Namespace>uri://ed-fi.org/AcademicSubjectDescriptor</Namespace></AcademicSubjectDescriptor>
</InterchangeDescriptors>"#;

const SCHOOL: &str = r#"<InterchangeEducationOrganization xmlns="http://ed-fi.org/5.2.0">
  <School>
    <SchoolId>255901001</SchoolId>
    <NameOfInstitution>Grand Bend High School</NameOfInstitution>
    <EducationOrganizationCategory>uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School</EducationOrganizationCategory>
    <GradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Ninth grade</GradeLevel>
  </School>
</InterchangeEducationOrganization>"#;

/// A student twice with different names (the later wins), once more as an exact repeat, and an
/// enrollment in a school year that no file holds.
const STUDENTS: &str = r#"<InterchangeStudent xmlns="http://ed-fi.org/5.2.0">
  <Student><StudentUniqueId>604821</StudentUniqueId><Name><FirstName>Tyrone</FirstName><LastSurname>Dyer</LastSurname></Name><BirthData><BirthDate>2014-11-13</BirthDate></BirthData></Student>
  <Student><StudentUniqueId>604822</StudentUniqueId><Name><FirstName>Lisa</FirstName><LastSurname>Woods</LastSurname></Name><BirthData><BirthDate>2008-09-13</BirthDate></BirthData></Student>
  <Student><StudentUniqueId>604821</StudentUniqueId><Name><FirstName>Ty</FirstName><LastSurname>Dyer</LastSurname></Name><BirthData><BirthDate>2014-11-13</BirthDate></BirthData></Student>
  <Student><StudentUniqueId>604822</StudentUniqueId><Name><FirstName>Lisa</FirstName><LastSurname>Woods</LastSurname></Name><BirthData><BirthDate>2008-09-13</BirthDate></BirthData></Student>
</InterchangeStudent>"#;

const ENROLLMENT: &str = r#"<InterchangeStudentEnrollment xmlns="http://ed-fi.org/5.2.0">
  <StudentSchoolAssociation>
    <StudentReference><StudentIdentity><StudentUniqueId>604821</StudentUniqueId></StudentIdentity></StudentReference>
    <SchoolReference><SchoolIdentity><SchoolId>255901001</SchoolId></SchoolIdentity></SchoolReference>
    <EntryDate>2021-08-23</EntryDate>
    <EntryGradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Ninth grade</EntryGradeLevel>
    <SchoolYear>2021-2022</SchoolYear>
  </StudentSchoolAssociation>
</InterchangeStudentEnrollment>"#;

/// A learning standard before its parent, in one file.
const STANDARDS: &str = r#"<InterchangeStandards xmlns="http://ed-fi.org/5.2.0">
  <LearningStandard>
    <LearningStandardId>110.13.1.A</LearningStandardId>
    <Description>distinguish features of a sentence</Description>
    <ContentStandard><Title>State Standard</Title></ContentStandard>
    <GradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Ninth grade</GradeLevel>
    <AcademicSubject>uri://ed-fi.org/AcademicSubjectDescriptor#Mathematics</AcademicSubject>
    <ParentLearningStandardReference><LearningStandardIdentity><LearningStandardId>110.13.1</LearningStandardId></LearningStandardIdentity></ParentLearningStandardReference>
    <Namespace>uri://ed-fi.org/LearningStandard</Namespace>
  </LearningStandard>
  <LearningStandard>
    <LearningStandardId>110.13.1</LearningStandardId>
    <Description>Print awareness</Description>
    <ContentStandard><Title>State Standard</Title></ContentStandard>
    <GradeLevel>uri://ed-fi.org/GradeLevelDescriptor#Ninth grade</GradeLevel>
    <AcademicSubject>uri://ed-fi.org/AcademicSubjectDescriptor#Mathematics</AcademicSubject>
    <Namespace>uri://ed-fi.org/LearningStandard</Namespace>
  </LearningStandard>
</InterchangeStandards>"#;

fn directory(files: &[(&str, &str)]) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "edfi-load-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("xml")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join("xml").join(name), text).unwrap();
    }
    dir
}

/// The engine behind HTTP. `tamper(request, n)` may answer instead (the n-th request to that
/// path, from 0), and may let the engine apply the request first and then lose its answer.
struct Engine {
    store: Mutex<MemoryStore>,
    served: AtomicU64,
    seen: Mutex<std::collections::HashMap<String, usize>>,
}

/// What a tamper does with a request.
enum Tamper {
    Pass,
    /// Answer this without reaching the engine.
    Answer(Answer),
    /// Let the engine apply it, then hang up (the answer is lost).
    LoseAnswer,
}

impl Engine {
    fn serve(&self, request: &Request, tamper: &dyn Fn(&Request, usize) -> Tamper) -> Answer {
        if request.path() == "/oauth/token" {
            return Answer::json(
                200,
                json!({"access_token": "t", "expires_in": 3600, "token_type": "bearer"}),
            );
        }
        let n = {
            let mut seen = self.seen.lock().unwrap();
            let count = seen.entry(request.path().to_owned()).or_default();
            *count += 1;
            *count - 1
        };
        let lose = match tamper(request, n) {
            Tamper::Answer(answer) => return answer,
            Tamper::LoseAnswer => true,
            Tamper::Pass => false,
        };
        let mut engine_request = edfi_core::Request::new(&request.method, &request.target);
        for (name, value) in &request.headers {
            engine_request = engine_request.header(name, value);
        }
        let engine_request = engine_request.body(request.body.clone().into_bytes());
        let response = self.handle(&engine_request);
        if lose {
            return Answer::empty(HANG_UP);
        }
        Answer {
            status: response.status,
            headers: response.headers.iter().map(|(n, v)| (n.to_string(), v.clone())).collect(),
            body: String::from_utf8_lossy(&response.body).into_owned(),
        }
    }

    /// Every item of `resource` as the API lists it.
    fn items(&self, resource: &str) -> Vec<Value> {
        let request = edfi_core::Request::new("GET", &format!("/data/v3/ed-fi/{resource}?limit=500"));
        serde_json::from_slice(&self.handle(&request).body).unwrap()
    }

    /// The engine's answer; each request gets random bytes of its own (new ids differ).
    fn handle(&self, request: &edfi_core::Request) -> edfi_core::Response {
        let mut random = [0u8; 16];
        random[10..].copy_from_slice(&self.served.fetch_add(1, Ordering::SeqCst).to_be_bytes()[2..]);
        let ctx = Context {
            now: 1_800_000_000,
            random,
            correlation_id: "t",
            base_url: "http://test",
            client: "loader",
            client_name: "loader",
            admin: false,
            scope: None,
        };
        edfi_core::handle(request, &mut *self.store.lock().unwrap(), &Config::default(), &ctx)
            .expect("the engine answers")
    }
}

async fn engine(tamper: impl Fn(&Request, usize) -> Tamper + Send + Sync + 'static) -> (Arc<Engine>, Fake) {
    let engine = Arc::new(Engine {
        store: Mutex::new(MemoryStore::new()),
        served: AtomicU64::new(0),
        seen: Mutex::default(),
    });
    let serving = engine.clone();
    let fake = Fake::start(move |request, _| serving.serve(request, &tamper)).await;
    (engine, fake)
}

fn options(dir: &Path) -> Options {
    Options {
        parallel: 4,
        journal: dir.join("load.journal"),
        resume: true,
        backoff: Duration::from_millis(1),
        create_only: false,
    }
}

async fn load(fake: &Fake, dir: &Path) -> Report {
    let plan = plan::read_directory(&dir.join("xml")).unwrap();
    run(&fake.client(), &plan, &options(dir), &Quiet).await.unwrap()
}

fn posts(fake: &Fake, resource: &str) -> Vec<Request> {
    fake.to(&format!("/data/v3/ed-fi/{resource}")).into_iter().filter(|r| r.method == "POST").collect()
}

#[tokio::test]
async fn a_directory_loads_in_dependency_order_and_a_second_run_changes_nothing() {
    let dir = directory(&[
        ("Descriptors.xml", DESCRIPTORS),
        ("Enrollment.xml", ENROLLMENT),
        ("School.xml", SCHOOL),
        ("Students.xml", STUDENTS),
        (
            "Broken.xml",
            "<InterchangeStudent xmlns=\"http://ed-fi.org/5.2.0\">\n  <Student>\n</InterchangeStudent>",
        ),
    ]);
    let (engine, fake) = engine(|_, _| Tamper::Pass).await;
    let report = load(&fake, &dir).await;
    let students = &report.resources["students"];
    assert_eq!((students.records, students.created, students.superseded, students.duplicates), (3, 2, 1, 1));
    assert_eq!(report.resources["studentSchoolAssociations"].created, 1, "{}", report.table());
    // The school year the enrollment names, which no file holds, made create-only.
    assert_eq!(report.resources["schoolYearTypes"].created, 1);
    let years = posts(&fake, "schoolYearTypes");
    assert_eq!(years[0].header("If-None-Match"), Some("*"));
    assert_eq!(engine.items("schoolYearTypes")[0]["schoolYearDescription"], "2021-2022");
    // The later record of a natural key is what the API holds.
    let names: Vec<String> =
        engine.items("students").iter().map(|s| s["firstName"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names.iter().filter(|n| *n == "Ty").count(), 1, "{names:?}");
    assert!(!names.contains(&"Tyrone".to_owned()));
    // The broken file is named with its line; everything else loaded.
    assert_eq!(report.problems.len(), 1);
    assert_eq!(
        (report.problems[0].file.as_str(), report.problems[0].line),
        ("Broken.xml", 3),
        "{}",
        report.problems[0]
    );
    assert!(!report.clean());
    // Each level after the ones it references: no reference was missing.
    assert!(report.resources.values().all(|t| t.rejected == 0), "{}", report.table());

    let before: Vec<Value> =
        ["students", "schools", "studentSchoolAssociations"].iter().flat_map(|r| engine.items(r)).collect();
    let again = load(&fake, &dir).await;
    assert!(!again.resumed, "the first load ran to its end: this is a new one");
    for (resource, tally) in &again.resources {
        assert_eq!(
            (tally.created, tally.updated, tally.rejected),
            (0, 0, 0),
            "{resource}: {}",
            again.table()
        );
        assert_eq!(tally.unchanged, tally.records - tally.superseded, "{resource}");
    }
    let after: Vec<Value> =
        ["students", "schools", "studentSchoolAssociations"].iter().flat_map(|r| engine.items(r)).collect();
    assert_eq!(before, after, "no ETag, date or change version moved");
    // Its requests said which content they carry, so the engine wrote nothing.
    let student_post = posts(&fake, "students").pop().unwrap();
    let body: Value = serde_json::from_str(&student_post.body).unwrap();
    let etag = edfi_core::content::Content::from_body(body.as_object().unwrap()).etag().to_string();
    assert_eq!(student_post.header("If-None-Match"), Some(etag.as_str()));
}

/// Records are one item exactly when the API takes them for one (`validate::natural_key`):
/// descriptors ignore case, nothing else does. The loader used to fold case for every resource,
/// so a student whose id differed from another's only in case was taken for a repeat of it,
/// superseded, and never sent.
#[tokio::test]
async fn records_name_one_item_exactly_when_the_api_says_they_do() {
    let cased_students = r#"<InterchangeStudent xmlns="http://ed-fi.org/5.2.0">
  <Student><StudentUniqueId>s-100</StudentUniqueId><Name><FirstName>Ana</FirstName><LastSurname>Li</LastSurname></Name><BirthData><BirthDate>2014-11-13</BirthDate></BirthData></Student>
  <Student><StudentUniqueId>S-100</StudentUniqueId><Name><FirstName>Bo</FirstName><LastSurname>Li</LastSurname></Name><BirthData><BirthDate>2012-01-02</BirthDate></BirthData></Student>
</InterchangeStudent>"#;
    let cased_descriptors = r#"<InterchangeDescriptors xmlns="http://ed-fi.org/5.2.0">
  <GradeLevelDescriptor><CodeValue>Ninth grade</CodeValue><ShortDescription>Ninth</ShortDescription><Namespace>uri://ed-fi.org/GradeLevelDescriptor</Namespace></GradeLevelDescriptor>
  <GradeLevelDescriptor><CodeValue>NINTH GRADE</CodeValue><ShortDescription>Ninth grade</ShortDescription><Namespace>uri://ed-fi.org/GradeLevelDescriptor</Namespace></GradeLevelDescriptor>
</InterchangeDescriptors>"#;
    let dir = directory(&[("Descriptors.xml", cased_descriptors), ("Students.xml", cased_students)]);
    let plan = plan::read_directory(&dir.join("xml")).unwrap();
    assert_eq!(plan.records["students"].len(), 2, "two students");
    assert_eq!(plan.superseded.get("students"), None);
    assert_eq!(plan.records["gradeLevelDescriptors"].len(), 1, "one descriptor, the later record");
    assert_eq!(plan.superseded["gradeLevelDescriptors"], 1);

    let (engine, fake) = engine(|_, _| Tamper::Pass).await;
    let report = load(&fake, &dir).await;
    assert!(report.resources.values().all(|t| t.rejected == 0), "{}", report.table());
    let mut students: Vec<String> =
        engine.items("students").iter().map(|s| s["studentUniqueId"].as_str().unwrap().to_owned()).collect();
    students.sort();
    assert_eq!(students, ["S-100", "s-100"], "the API holds both");
    let levels = engine.items("gradeLevelDescriptors");
    assert_eq!(levels.len(), 1, "the API holds one: {levels:?}");
    assert_eq!(levels[0]["shortDescription"], "Ninth grade");
}

#[tokio::test]
async fn a_lost_answer_or_a_failure_is_retried_under_the_same_key_and_applied_once() {
    let dir =
        directory(&[("Descriptors.xml", DESCRIPTORS), ("School.xml", SCHOOL), ("Students.xml", STUDENTS)]);
    let (engine, fake) = engine(|request, n| match (request.path(), n) {
        ("/data/v3/ed-fi/schools", 0) => Tamper::Answer(Answer::problem(503, "Try later", &[])),
        ("/data/v3/ed-fi/students", 0) => Tamper::LoseAnswer,
        _ => Tamper::Pass,
    })
    .await;
    let report = load(&fake, &dir).await;
    assert_eq!(report.resources["schools"].created, 1, "{}", report.table());
    assert_eq!(report.resources["students"].created, 2, "{}", report.table());
    assert!(report.clean(), "{}", report.table());
    let schools = posts(&fake, "schools");
    assert_eq!(schools.len(), 2);
    assert_eq!(schools[0].header("Idempotency-Key"), schools[1].header("Idempotency-Key"));
    // The student whose answer was lost was applied once: the resend was answered, not applied.
    let students = posts(&fake, "students");
    assert_eq!(students.len(), 3, "two students, one of them twice");
    let keys: std::collections::BTreeSet<_> =
        students.iter().map(|r| r.header("Idempotency-Key").unwrap().to_owned()).collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(engine.items("students").len(), 2);
}

#[tokio::test]
async fn a_record_before_the_one_it_references_loads_in_a_later_pass() {
    let dir = directory(&[("Descriptors.xml", DESCRIPTORS), ("Standards.xml", STANDARDS)]);
    let (engine, fake) = engine(|_, _| Tamper::Pass).await;
    let report = load(&fake, &dir).await;
    assert_eq!(report.resources["learningStandards"].created, 2, "{}", report.table());
    let child: Vec<Request> =
        posts(&fake, "learningStandards").into_iter().filter(|r| r.body.contains("110.13.1.A")).collect();
    assert_eq!(child.len(), 2, "refused once (409), then created");
    assert_ne!(
        child[0].header("Idempotency-Key"),
        child[1].header("Idempotency-Key"),
        "a new pass is a new request"
    );
    assert_eq!(engine.items("learningStandards").len(), 2);
}

#[tokio::test]
async fn an_interrupted_load_continues_with_what_it_had_not_answered() {
    let dir =
        directory(&[("Descriptors.xml", DESCRIPTORS), ("School.xml", SCHOOL), ("Students.xml", STUDENTS)]);
    // The API stops answering student writes: the load ends with them unanswered.
    let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = down.clone();
    let (engine, fake) = engine(move |request, _| {
        if flag.load(Ordering::SeqCst) && request.path() == "/data/v3/ed-fi/students" {
            Tamper::Answer(Answer::empty(HANG_UP))
        } else {
            Tamper::Pass
        }
    })
    .await;
    let first = load(&fake, &dir).await;
    assert_eq!(first.resources["students"].failed, 2, "{}", first.table());
    assert_eq!(engine.items("students").len(), 0);
    let schools_sent = posts(&fake, "schools").len();

    down.store(false, Ordering::SeqCst);
    let second = load(&fake, &dir).await;
    assert!(second.resumed);
    assert_eq!(second.resources["students"].created, 2, "{}", second.table());
    assert_eq!(second.resources["schools"].earlier, 1);
    assert_eq!(posts(&fake, "schools").len(), schools_sent, "what was answered is not sent again");
    assert!(second.clean());
    // Its journal is complete now: the next run is a new load.
    assert!(journal::read(&dir.join("load.journal")).unwrap().is_none());
}

#[test]
fn a_torn_journal_line_is_sent_again_and_a_foreign_file_is_refused() {
    let dir = directory(&[]);
    let path = dir.join("j");
    let mut journal = journal::Journal::open(&path, "abc", false).unwrap();
    journal.answered("d1", Outcome::Created, "").unwrap();
    journal.answered("d2", Outcome::Rejected, "409: missing\tthing").unwrap();
    drop(journal);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("d3\tcrea");
    std::fs::write(&path, text).unwrap();
    let earlier = journal::read(&path).unwrap().unwrap();
    assert_eq!(earlier.load_id, "abc");
    assert_eq!(earlier.answered.len(), 2);
    assert_eq!(earlier.answered["d2"], (Outcome::Rejected, "409: missing thing".to_owned()));
    std::fs::write(&path, "something else\n").unwrap();
    assert!(journal::read(&path).unwrap_err().contains("not a load journal"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let fresh = dir.join("private/j");
        journal::Journal::open(&fresh, "x", false).unwrap();
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(dir.join("private")).unwrap().permissions().mode() & 0o777, 0o700);
    }
}

/// The journal holds what was loaded and why records were refused: it is kept as privately as
/// the app's other files.
#[test]
fn a_journal_is_never_read_or_written_through_a_symbolic_link_and_is_narrowed_to_0600() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = directory(&[]);
    let elsewhere = dir.join("elsewhere");
    std::fs::write(&elsewhere, "someone else's file\n").unwrap();
    let path = dir.join("linked.journal");
    symlink(&elsewhere, &path).unwrap();
    assert!(journal::Journal::open(&path, "abc", false).is_err(), "a fresh journal through a link");
    assert!(journal::Journal::open(&path, "abc", true).is_err(), "a continued journal through a link");
    assert!(journal::read(&path).is_err(), "a journal read through a link");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "someone else's file\n");

    // One left readable by others (an older version, a wide umask) is narrowed when continued.
    let wide = dir.join("wide.journal");
    journal::Journal::open(&wide, "abc", false).unwrap();
    std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o644)).unwrap();
    journal::Journal::open(&wide, "abc", true).unwrap();
    assert_eq!(std::fs::metadata(&wide).unwrap().permissions().mode() & 0o777, 0o600);
}

/// A kill in the middle of a reason's many-byte character leaves bytes that are not UTF-8: the
/// lines before it still count.
#[test]
fn a_journal_torn_inside_a_character_keeps_its_earlier_lines() {
    let dir = directory(&[]);
    let path = dir.join("j");
    let mut journal = journal::Journal::open(&path, "abc", false).unwrap();
    journal.answered("d1", Outcome::Created, "").unwrap();
    drop(journal);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"d2\trejected\t409: Mu\xc3");
    std::fs::write(&path, bytes).unwrap();
    let earlier = journal::read(&path).unwrap().unwrap();
    assert_eq!(earlier.answered["d1"].0, Outcome::Created);
}

#[tokio::test]
async fn create_only_leaves_an_item_that_exists_as_it_is() {
    let dir = directory(&[("Descriptors.xml", DESCRIPTORS), ("Students.xml", STUDENTS)]);
    let (engine, fake) = engine(|_, _| Tamper::Pass).await;
    load(&fake, &dir).await;
    let edited = STUDENTS.replace("<FirstName>Lisa</FirstName>", "<FirstName>Elisa</FirstName>");
    std::fs::write(dir.join("xml/Students.xml"), edited).unwrap();
    let plan = plan::read_directory(&dir.join("xml")).unwrap();
    let create_only = Options { create_only: true, ..options(&dir) };
    let report = run(&fake.client(), &plan, &create_only, &Quiet).await.unwrap();
    assert_eq!((report.resources["students"].unchanged, report.resources["students"].updated), (2, 0));
    let names: Vec<Value> = engine.items("students").iter().map(|s| s["firstName"].clone()).collect();
    assert!(names.contains(&json!("Lisa")) && !names.contains(&json!("Elisa")), "{names:?}");
    // Without it, the file's change is applied.
    let report = run(&fake.client(), &plan, &options(&dir), &Quiet).await.unwrap();
    assert_eq!(report.resources["students"].updated, 1, "{}", report.table());
}

/// `:load` in the app runs this same loader: its screen ends with the account the command line
/// prints, and a second `:load` of the directory changes nothing.
#[tokio::test]
async fn the_admin_app_loads_a_directory_and_shows_the_loaders_own_account() {
    use crate::app::{LoadPhase, Msg, RowPhase, Screen};
    use crossterm::event::KeyCode;
    let dir =
        directory(&[("Descriptors.xml", DESCRIPTORS), ("School.xml", SCHOOL), ("Students.xml", STUDENTS)]);
    let (engine, fake) = engine(|_, _| Tamper::Pass).await;
    let mut app = crate::runtime::Headless::start(fake.client(), &fake.url, false).await;
    let command =
        format!("load --journal {} {}", dir.join("app.journal").display(), dir.join("xml").display());
    let load = async |app: &mut crate::runtime::Headless| {
        app.key(KeyCode::Char(':')).await;
        for c in command.chars() {
            app.send(Msg::Key(KeyCode::Char(c).into())).await;
        }
        app.key(KeyCode::Enter).await;
        assert_eq!(app.app.screen, Screen::Load);
        let LoadPhase::Finished(report) = app.app.load.clone().unwrap().phase else {
            panic!("the load did not finish: {:?}", app.app.load);
        };
        report
    };
    let report = load(&mut app).await;
    let shown = app.app.load.as_ref().unwrap();
    assert!(shown.rows.iter().all(|r| r.phase == RowPhase::Done), "{:?}", shown.rows);
    let students = shown.rows.iter().find(|r| r.resource == "students").unwrap();
    assert_eq!((students.records, students.answered, students.created), (2, 2, 2));
    assert_eq!(engine.items("students").len(), 2);
    assert_eq!(report.resources["schools"].created, 1);
    assert!(report.clean(), "{}", report.table());
    assert_eq!(shown.journal.as_deref(), Some(dir.join("app.journal").as_path()));
    assert!(app.app.status.contains("everything is in the API"), "{}", app.app.status);

    let again = load(&mut app).await;
    assert_eq!(app.app.load.as_ref().unwrap().number, 2);
    assert!(again.resources.values().all(|t| t.created + t.updated == 0), "{}", again.table());
}
