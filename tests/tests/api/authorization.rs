//! Several clients in one instance, each with its claim set and scope, over real HTTP: what each
//! may read, list and write, and that 403 comes before 412.

use edfi_core::model::ResourceDef;
use edfi_core::resources;
use edfi_core::sample::Samples;
use serde_json::{json, Value};

use crate::support::*;

const AUTHORIZATION: &str = "urn:ed-fi:api:security:authorization";
const ACTION_DENIED: &str = "urn:ed-fi:api:security:authorization:access-denied:action";
const NAMESPACE_DENIED: &str =
    "urn:ed-fi:api:security:authorization:namespace:access-denied:namespace-mismatch";
const SSA: &str = "/data/v3/ed-fi/studentSchoolAssociations";

/// A client of `instance` with `scope` (`claimSetName`, `educationOrganizationIds`,
/// `namespacePrefixes`), made by the administrator.
async fn scoped(admin: &Api, instance: &str, scope: Value) -> Api {
    let mut body = json!({"name": format!("{} client", scope["claimSetName"]), "instance": instance});
    body.as_object_mut().unwrap().extend(scope.as_object().unwrap().clone());
    let reply = admin.write("POST", "/admin/v1/clients", &body, &[]).await;
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    let created = reply.json();
    let (key, secret) = (created["key"].as_str().unwrap(), created["secret"].as_str().unwrap());
    let token = Api::anonymous(admin.base.clone()).token_for(key, secret).await.expect("a token");
    Api::anonymous(admin.base.clone()).with_token(Some(token))
}

fn school(id: i64, agency: Option<i64>) -> Value {
    let mut body = json!({
        "schoolId": id, "nameOfInstitution": format!("School {id}"),
        "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"}],
        "gradeLevels": [{"gradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"}],
    });
    if let Some(agency) = agency {
        body["localEducationAgencyReference"] = json!({"localEducationAgencyId": agency});
    }
    body
}

fn enrollment(student: &str, school: i64) -> Value {
    json!({
        "entryDate": "2026-08-20",
        "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade",
        "schoolReference": {"schoolId": school},
        "studentReference": {"studentUniqueId": student},
    })
}

/// The `studentUniqueId`s a client lists, and its `Total-Count`.
async fn students_of(api: &Api) -> (Vec<String>, u64) {
    let reply = api.get(&format!("{STUDENTS}?totalCount=true"), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let ids = reply
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["studentUniqueId"].as_str().unwrap().to_owned())
        .collect();
    (ids, reply.header("Total-Count").unwrap().parse().unwrap())
}

/// Creates the samples `def` needs and itself; the body of `def`'s item.
async fn sample(api: &Api, samples: &mut Samples, def: &'static ResourceDef) -> Value {
    let body = samples.item(def);
    for (def, body) in samples.take() {
        api.ensure(def.name, &body).await;
    }
    body
}

#[tokio::test]
async fn clients_of_one_instance_reach_only_what_their_claim_sets_and_scopes_allow() {
    let instance = format!("authz-{}", unique_number());
    let admin = Api::admin(base_url()).await;
    let district = Api::connect(base_url(), &instance).await;
    for (resource, body) in [
        (
            "educationOrganizationCategoryDescriptors",
            descriptor("EducationOrganizationCategoryDescriptor", "School"),
        ),
        ("gradeLevelDescriptors", descriptor("GradeLevelDescriptor", "Ninth grade")),
        (
            "localEducationAgencyCategoryDescriptors",
            descriptor("LocalEducationAgencyCategoryDescriptor", "Independent"),
        ),
    ] {
        district.ensure(resource, &body).await;
    }
    let (agency, school_a, school_b) = (unique_number(), unique_number(), unique_number());
    district
        .create_in(
            "localEducationAgencies",
            &json!({
                "localEducationAgencyId": agency, "nameOfInstitution": "District",
                "categories": [{"educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"}],
                "localEducationAgencyCategoryDescriptor": "uri://ed-fi.org/LocalEducationAgencyCategoryDescriptor#Independent",
            }),
        )
        .await;
    district.create_in("schools", &school(school_a, Some(agency))).await;
    district.create_in("schools", &school(school_b, None)).await;
    let (a1, b1) = (unique_id("a"), unique_id("b"));
    let (a1_path, _) = district.create(&student(&a1)).await;
    let (b1_path, b1_etag) = district.create(&student(&b1)).await;
    let (a1_enrollment, _) =
        district.create_in("studentSchoolAssociations", &enrollment(&a1, school_a)).await;
    district.create_in("studentSchoolAssociations", &enrollment(&b1, school_b)).await;

    // A vendor scoped to school A.
    let vendor = scoped(
        &admin,
        &instance,
        json!({"claimSetName": "SIS Vendor", "educationOrganizationIds": [school_a]}),
    )
    .await;
    assert_eq!(students_of(&vendor).await, (vec![a1.clone()], 1));
    assert_eq!(vendor.get(&a1_path, &[]).await.status, 200);
    let refused = vendor.get(&b1_path, &[]).await.assert_problem(403, AUTHORIZATION);
    assert!(refused["errors"][0].as_str().unwrap().contains(&b1), "{refused}");
    // 403 before 412: a stale tag on another school's student, and the right one, both 403.
    for tag in ["\"stale\"", b1_etag.as_str()] {
        vendor
            .write("PUT", &b1_path, &student(&b1), &[("If-Match", tag)])
            .await
            .assert_problem(403, AUTHORIZATION);
        vendor.delete(&b1_path, &[("If-Match", tag)]).await.assert_problem(403, AUTHORIZATION);
    }
    assert_eq!(district.current(&b1_path).await.unwrap().1, b1_etag, "nothing changed");
    // It enrolls a new student in A, not in B.
    let new = unique_id("n");
    vendor.create(&student(&new)).await;
    vendor.write("POST", SSA, &enrollment(&new, school_b), &[]).await.assert_problem(403, AUTHORIZATION);
    vendor.create_in("studentSchoolAssociations", &enrollment(&new, school_a)).await;
    assert_eq!(students_of(&vendor).await, (vec![a1.clone(), new.clone()], 2));

    // Sections: the district's, at a school of their own; the vendor sees none of them.
    let mut samples = Samples::new();
    let section = sample(&district, &mut samples, resources::get("sections")).await;
    let section_school = section["courseOfferingReference"]["schoolId"].as_i64().unwrap();
    let listed = district.get(&data("sections"), &[]).await.json();
    let section_path = format!("{}/{}", data("sections"), listed[0]["id"].as_str().unwrap());
    let vendor_sections = vendor.get(&data("sections"), &[]).await;
    assert_eq!(vendor_sections.json(), json!([]));
    vendor.get(&section_path, &[]).await.assert_problem(403, AUTHORIZATION);
    let at_that_school = scoped(
        &admin,
        &instance,
        json!({"claimSetName": "SIS Vendor", "educationOrganizationIds": [section_school]}),
    )
    .await;
    assert_eq!(at_that_school.get(&data("sections"), &[]).await.json().as_array().unwrap().len(), 1);
    assert_eq!(at_that_school.get(&section_path, &[]).await.status, 200);

    // The local agency's client reaches school A's students, not school B's.
    let agency_client = scoped(
        &admin,
        &instance,
        json!({"claimSetName": "sis vendor", "educationOrganizationIds": [agency]}),
    )
    .await;
    assert_eq!(students_of(&agency_client).await, (vec![a1.clone(), new.clone()], 2));
    agency_client.get(&b1_path, &[]).await.assert_problem(403, AUTHORIZATION);

    // A student who leaves school A is gone from its vendor's collections at once.
    district.delete(&a1_enrollment, &[]).await;
    assert_eq!(students_of(&vendor).await, (vec![new.clone()], 1));
    vendor.get(&a1_path, &[]).await.assert_problem(403, AUTHORIZATION);

    // A read-only claim set: every write is 403, before its precondition or body is looked at.
    let reporting = scoped(
        &admin,
        &instance,
        json!({"claimSetName": "Reporting Read-Only", "educationOrganizationIds": [agency]}),
    )
    .await;
    assert_eq!(students_of(&reporting).await.0, vec![new.clone()]);
    reporting
        .write("POST", STUDENTS, &student(&unique_id("r")), &[])
        .await
        .assert_problem(403, ACTION_DENIED);
    let new_path =
        format!("{STUDENTS}/{}", reporting.get(STUDENTS, &[]).await.json()[0]["id"].as_str().unwrap());
    reporting
        .write("PUT", &new_path, &student(&new), &[("If-Match", "\"stale\"")])
        .await
        .assert_problem(403, ACTION_DENIED);
    reporting.delete(&new_path, &[]).await.assert_problem(403, ACTION_DENIED);

    // An assessment vendor writes only under its namespace.
    let assessment = sample(&district, &mut samples, resources::get("assessments")).await;
    let assessments = scoped(
        &admin,
        &instance,
        json!({"claimSetName": "Assessment Vendor", "namespacePrefixes": ["uri://vendor.example/"]}),
    )
    .await;
    let mut ours = assessment.clone();
    ours["namespace"] = json!("uri://vendor.example/reading");
    ours["assessmentIdentifier"] = json!(unique_id("ours"));
    assessments.create_in("assessments", &ours).await;
    let mut theirs = assessment.clone();
    theirs["assessmentIdentifier"] = json!(unique_id("theirs"));
    assessments.write("POST", &data("assessments"), &theirs, &[]).await.assert_problem(403, NAMESPACE_DENIED);
    let listed = assessments.get(&data("assessments"), &[]).await.json();
    let namespaces: Vec<&str> =
        listed.as_array().unwrap().iter().map(|a| a["namespace"].as_str().unwrap()).collect();
    assert_eq!(namespaces, vec!["uri://vendor.example/reading"]);
    assessments
        .write("POST", STUDENTS, &student(&unique_id("v")), &[])
        .await
        .assert_problem(403, ACTION_DENIED);
}

#[tokio::test]
async fn claim_sets_are_managed_by_the_administrator_and_change_queries_need_read_changes() {
    let instance = format!("authz-{}", unique_number());
    let admin = Api::admin(base_url()).await;
    let listed = admin.get("/admin/v1/claimSets", &[]).await.json();
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for built_in in [
        "Ed-Fi Sandbox",
        "SIS Vendor",
        "Assessment Vendor",
        "Reporting Read-Only",
        "Bootstrap Descriptors and EdOrgs",
    ] {
        assert!(names.contains(&built_in), "{names:?}");
    }
    admin
        .write(
            "PUT",
            "/admin/v1/claimSets/SIS%20Vendor",
            &json!({"name": "SIS Vendor", "resourceClaims": []}),
            &[],
        )
        .await
        .assert_problem(409, "urn:ed-fi:api:conflict");
    let name = format!("No changes {}", unique_number());
    let path = format!("/admin/v1/claimSets/{}", name.replace(' ', "%20"));
    let set = json!({"name": name, "resourceClaims": [{"families": ["all"], "actions": {"Read": ["NoFurtherAuthorizationRequired"]}}]});
    assert_eq!(admin.write("PUT", &path, &set, &[]).await.status, 201);
    assert_eq!(admin.write("PUT", &path, &set, &[]).await.status, 204, "replaced");
    let bad =
        json!({"name": name, "resourceClaims": [{"resources": ["noSuchThings"], "actions": {"Read": []}}]});
    admin
        .write("PUT", &path, &bad, &[])
        .await
        .assert_problem(400, "urn:ed-fi:api:bad-request:data-validation-failed");
    let endpoints: Vec<&str> = resources::all().iter().map(|d| d.name).collect();
    let huge = json!({"name": name, "resourceClaims": [{"resources": endpoints, "actions": {"Read": ["NoFurtherAuthorizationRequired"]}}]});
    let refused = admin.write("PUT", &path, &huge, &[]).await;
    let problem = refused.assert_problem(400, "urn:ed-fi:api:bad-request:data-validation-failed");
    assert!(problem["validationErrors"]["$"][0].as_str().unwrap().contains("bytes"), "{problem}");

    let readers = scoped(&admin, &instance, json!({"claimSetName": name})).await;
    assert_eq!(readers.get(STUDENTS, &[]).await.status, 200);
    for query in ["?minChangeVersion=0", "?maxChangeVersion=10", "/deletes", "/keyChanges"] {
        readers.get(&format!("{STUDENTS}{query}"), &[]).await.assert_problem(403, ACTION_DENIED);
    }
    readers.write("POST", STUDENTS, &student(&unique_id("w")), &[]).await.assert_problem(403, ACTION_DENIED);
    admin.delete(&path, &[]).await.assert_problem(409, "urn:ed-fi:api:conflict");

    // The administrator sees each client's scope; a client with an unknown claim set or a bad
    // scope is not made.
    let clients = admin.get("/admin/v1/clients", &[]).await.json();
    let ours: Vec<&Value> =
        clients.as_array().unwrap().iter().filter(|c| c["instance"] == instance.as_str()).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["claimSetName"], name.as_str());
    let refusals = [
        json!({"name": "x", "instance": instance, "claimSetName": "No such set"}),
        json!({"name": "x", "instance": instance, "educationOrganizationIds": ["one"]}),
        json!({"name": "x", "instance": instance, "namespacePrefixes": "uri://x/"}),
        json!({"name": "x", "instance": instance, "educationOrganizationIds": (0..101).collect::<Vec<i64>>()}),
        // Within the counts, past what a token header holds.
        json!({"name": "x", "instance": instance, "namespacePrefixes": vec!["uri://a-rather-long-namespace-prefix.assessments.example.org/reading/grade-nine/spring-term/"; 20]}),
    ];
    for body in refusals {
        let reply = admin.write("POST", "/admin/v1/clients", &body, &[]).await;
        assert_eq!(reply.status, 400, "{body}: {}", String::from_utf8_lossy(&reply.body));
    }
}
