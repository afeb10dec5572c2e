//! No input can panic the reader: arbitrary bytes, and CSV-shaped rows of arbitrary fields.

use futbr_domain::synthetic::HEADER;
use futbr_domain::validate::{validate_csv, ValidateOptions};
use proptest::prelude::*;

fn check_invariants(bytes: &[u8]) {
    let v = validate_csv("fuzz.csv", bytes, &ValidateOptions::default());
    let r = &v.report;
    assert!(r.rows_accepted <= r.rows_total);
    assert!(v.matches.len() as u64 <= r.rows_accepted);
    if r.rejected.is_some() {
        assert!(v.matches.is_empty());
    }
    assert_eq!(
        v.quarantine_csv.is_some(),
        r.rejected.is_none() && r.rows_accepted < r.rows_total
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_invariants(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut input = format!("{HEADER}\n").into_bytes();
        input.extend_from_slice(&bytes);
        check_invariants(&input);
    }

    #[test]
    fn arbitrary_statistics_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut input = b"partida_id,rodata,clube,chutes,chutes_no_alvo,posse_de_bola\n".to_vec();
        input.extend_from_slice(&bytes);
        let (_, report) = futbr_domain::stats::read_stats_csv("fuzz.csv", &input);
        prop_assert!(report.rows_accepted <= report.rows_total);
    }

    #[test]
    fn rows_of_arbitrary_fields_never_panic(rows in proptest::collection::vec(
        proptest::collection::vec("[0-9a-zA-Z/:\\- \"ç,]{0,12}", 0..20), 0..20)) {
        let mut input = format!("{HEADER}\n");
        for row in rows {
            input.push_str(&row.join(","));
            input.push('\n');
        }
        check_invariants(input.as_bytes());
    }
}
