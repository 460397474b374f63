//! `range` on every integer and float type, bare and in an `Option`, with
//! one bound or both.
use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields, Default)]
struct Integers {
    #[analytics(range(min = -128, max = 127))]
    a: i8,
    #[analytics(range(min = -1, max = 1))]
    b: i16,
    #[analytics(range(min = -1, max = 255))]
    c: i32,
    #[analytics(range(min = 0))]
    d: i64,
    #[analytics(range(max = 10))]
    e: i128,
    #[analytics(range(min = -5, max = 5))]
    f: isize,
    #[analytics(range(max = 255))]
    g: u8,
    #[analytics(range(min = 0, max = 65535))]
    h: u16,
    #[analytics(range(max = 4294967295))]
    i: u32,
    #[analytics(range(max = 18446744073709551615))]
    j: u64,
    #[analytics(range(min = 0, max = 1))]
    k: u128,
    #[analytics(range(max = 100))]
    l: usize,
    #[analytics(range(min = 1, max = 255))]
    m: Option<u8>,
    #[analytics(range(min = -1))]
    n: ::std::option::Option<i64>,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "measured")]
struct Measured {
    #[analytics(flatten)]
    ints: Integers,
    #[analytics(range(min = 0.0, max = 1.0))]
    ratio: f64,
    #[analytics(range(min = -0.5, max = 0.5))]
    offset: f32,
    #[analytics(range(min = 0, max = 100))]
    percent: f64,
    #[analytics(range(min = 1e-3))]
    seconds: Option<f64>,
    #[analytics(range(max = 2.5))]
    weight: Option<f32>,
}

fn main() {
    let mut event = Measured {
        ints: Integers::default(),
        ratio: 1.0,
        offset: -0.5,
        percent: 100.0,
        seconds: None,
        weight: Some(2.5),
    };
    event.ints.m = Some(1);
    event.validate().unwrap();

    event.ints.c = 256;
    event.ints.m = Some(0);
    event.ratio = 1.0001;
    event.seconds = Some(0.0);
    let errors = event.validate().unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["ints.c", "ints.m", "ratio", "seconds"]);
}
