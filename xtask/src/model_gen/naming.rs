//! How Ed-Fi's ODS/API (and MetaEd's ApiSchema, which follows it) spells JSON names. Each rule
//! says where it comes from; the tests check the results against the ApiSchema files.

/// Lower-cases the first letter, or a leading acronym but its last capital (`CTEProgram` →
/// `cteProgram`, `URI` → `uri`, `URIs` → `uris`): the ODS/API's `ToCamelCase`, which MetaEd's
/// ApiSchema plugin follows (`uncapitalize` in its `Utility.ts`).
pub fn uncapitalize(text: &str) -> String {
    let upper = text.chars().take_while(char::is_ascii_uppercase).count();
    match upper {
        0 => text.to_string(),
        1 => text[..1].to_ascii_lowercase() + &text[1..],
        _ if text.len() == upper || (text.len() == upper + 1 && text.ends_with('s')) => {
            text.to_ascii_lowercase()
        }
        _ => text[..upper - 1].to_ascii_lowercase() + &text[upper - 1..],
    }
}

pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// English plurals as the `inflection` package MetaEd uses makes them, for the word endings
/// Ed-Fi names have (checked against the endpoint map and the ApiSchema collections):
/// `Person` → `People`, `Category` → `Categories`, `Address` → `Addresses`, `Status` → `Statuses`,
/// `Diagnosis` → `Diagnoses`, `Matrix` → `Matrices`; a name already ending in `s` (`FederalFunds`,
/// `EarnedAdditionalCredits`) stays as it is, and `Staff` becomes `Staffs`.
pub fn pluralize(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let stem = |n: usize| &word[..word.len() - n];
    if lower.ends_with("person") {
        return format!("{}eople", stem(5));
    }
    if lower.ends_with("child") {
        return format!("{word}ren");
    }
    for (ending, plural) in [("matrix", "ices"), ("vertex", "ices"), ("index", "ices")] {
        if lower.ends_with(ending) {
            return format!("{}{plural}", stem(2));
        }
    }
    if lower.ends_with("status") || lower.ends_with("alias") {
        return format!("{word}es");
    }
    for ending in ["analysis", "basis", "diagnosis", "parenthesis", "prognosis", "synopsis", "thesis"] {
        if lower.ends_with(ending) {
            return format!("{}es", stem(2));
        }
    }
    if lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
        && !lower.ends_with("uy")
        || lower.ends_with("quy")
    {
        return format!("{}ies", stem(1));
    }
    if ["x", "ch", "ss", "sh"].iter().any(|e| lower.ends_with(e)) {
        return format!("{word}es");
    }
    if lower.ends_with('s') {
        return word.to_string();
    }
    format!("{word}s")
}

/// `prefix` + `name`, unless `name` already starts with it (MetaEd's `prependPrefixWithCollapse`).
pub fn prefix_collapsed(prefix: &str, name: &str) -> String {
    if name.starts_with(prefix) {
        name.to_string()
    } else {
        format!("{prefix}{name}")
    }
}

/// The words of a PascalCase name (`StudentSchoolAssociation` → `Student`, `School`, `Association`).
fn words(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices().skip(1) {
        if c.is_ascii_uppercase() {
            out.push(&name[start..i]);
            start = i;
        }
    }
    out.push(&name[start..]);
    out
}

/// The ODS/API drops a parent's name from the front of a collection's or a common's name
/// (`SectionCharacteristic` on `Section` → `Characteristic`, `EducationOrganizationAddress`
/// → `Address`), or the parent's last word when the name starts with it (`AssessmentPeriod`
/// on `StudentAssessment` → `Period`), or a role name the parent ends with. MetaEd's ApiSchema
/// plugin: `parentPrefixRemovalConvention` in `ApiPropertyMappingEnhancer.ts`. `role` is the
/// element's role name, if any.
pub fn drop_parent_prefix(parent: &str, name: &str, role: &str) -> String {
    if name.starts_with(parent) && name.len() > parent.len() {
        return name[parent.len()..].to_string();
    }
    let parent_last = words(parent).last().copied().unwrap_or_default();
    let name_first = words(name).first().copied().unwrap_or_default();
    if parent_last == name_first && name.len() > name_first.len() {
        return name[name_first.len()..].to_string();
    }
    if !role.is_empty() && parent.ends_with(role) && name.starts_with(role) && name.len() > role.len() {
        return name[role.len()..].to_string();
    }
    name.to_string()
}

/// A descriptor member's name: `EntryGradeLevel` → `entryGradeLevelDescriptor`, never
/// `…DescriptorDescriptor` (MetaEd's `normalizeDescriptorSuffix`).
pub fn descriptor_name(full_name: &str) -> String {
    let name = uncapitalize(full_name);
    if name.ends_with("Descriptor") {
        name
    } else {
        format!("{name}Descriptor")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_follows_the_ods_api() {
        assert_eq!(uncapitalize("SchoolId"), "schoolId");
        assert_eq!(uncapitalize("CTEProgramService"), "cteProgramService");
        assert_eq!(uncapitalize("URI"), "uri");
        assert_eq!(uncapitalize("URIs"), "uris");
        assert_eq!(uncapitalize("dateEnteredUS"), "dateEnteredUS");
    }

    #[test]
    fn plurals_follow_inflection() {
        for (one, many) in [
            ("Person", "People"),
            ("Staff", "Staffs"),
            ("LocalEducationAgency", "LocalEducationAgencies"),
            ("Address", "Addresses"),
            ("ProgramParticipationStatus", "ProgramParticipationStatuses"),
            ("Diagnosis", "Diagnoses"),
            ("Matrix", "Matrices"),
            ("AppropriateSex", "AppropriateSexes"),
            ("FederalFunds", "FederalFunds"),
            ("Day", "Days"),
            ("Visa", "Visas"),
        ] {
            assert_eq!(pluralize(one), many);
        }
    }

    #[test]
    fn parent_prefixes_are_dropped() {
        assert_eq!(drop_parent_prefix("Section", "SectionCharacteristic", ""), "Characteristic");
        assert_eq!(drop_parent_prefix("StudentAssessment", "AssessmentPeriod", ""), "Period");
        assert_eq!(drop_parent_prefix("School", "GradeLevel", ""), "GradeLevel");
    }
}
