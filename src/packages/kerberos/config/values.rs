//! Value syntaxes of krb5.conf: booleans, durations and enctype lists
//! (krb5.conf(5) "Encryption types", MIT's `krb5_string_to_deltat`).

/// arcfour-hmac (RFC 4757).
pub const ENCTYPE_RC4_HMAC: i32 = 23;

/// MIT's `DEFAULT` list without weak or deprecated types: aes256-sha1,
/// aes128-sha1, aes256-sha2, aes128-sha2 (RC4 is added when
/// `allow_weak_crypto` is true).
pub const DEFAULT_ENCTYPES: [i32; 4] = [18, 17, 20, 19];

/// Names and aliases of the enctypes MIT knows, lower case.
const NAMES: &[(&str, i32)] = &[
    ("des-cbc-crc", 1),
    ("des-cbc-md4", 2),
    ("des-cbc-md5", 3),
    ("des3-cbc-sha1", 16),
    ("des3-hmac-sha1", 16),
    ("des3-cbc-sha1-kd", 16),
    ("aes128-cts-hmac-sha1-96", 17),
    ("aes128-cts", 17),
    ("aes128-sha1", 17),
    ("aes256-cts-hmac-sha1-96", 18),
    ("aes256-cts", 18),
    ("aes256-sha1", 18),
    ("aes128-cts-hmac-sha256-128", 19),
    ("aes128-sha2", 19),
    ("aes256-cts-hmac-sha384-192", 20),
    ("aes256-sha2", 20),
    ("arcfour-hmac", 23),
    ("rc4-hmac", 23),
    ("arcfour-hmac-md5", 23),
    ("arcfour-hmac-exp", 24),
    ("rc4-hmac-exp", 24),
    ("arcfour-hmac-md5-exp", 24),
    ("camellia128-cts-cmac", 25),
    ("camellia128-cts", 25),
    ("camellia256-cts-cmac", 26),
    ("camellia256-cts", 26),
];

/// Family names of krb5.conf(5).
const FAMILIES: &[(&str, &[i32])] = &[
    ("aes", &[18, 17, 20, 19]),
    ("aes-sha1", &[18, 17]),
    ("aes-sha2", &[20, 19]),
    ("rc4", &[23]),
    ("des", &[1, 3, 2]),
    ("des3", &[16]),
    ("camellia", &[26, 25]),
];

/// Single DES and export RC4: dropped unless `allow_weak_crypto`.
fn is_weak(e: i32) -> bool {
    matches!(e, 1..=3 | 24)
}

/// The canonical name of an enctype (as `klist -e` prints it).
pub fn enctype_name(e: i32) -> Option<&'static str> {
    match e {
        23 => Some("arcfour-hmac"),
        _ => NAMES.iter().find(|(_, n)| *n == e).map(|(s, _)| *s),
    }
}

/// An enctype list: names, aliases, numbers, families, `DEFAULT`, with
/// `-name` removing and `+name` adding; separated by spaces or commas.
/// Weak types are dropped unless `allow_weak`. Returns the list and the
/// words that named no enctype.
pub fn parse_enctype_list(text: &str, allow_weak: bool) -> (Vec<i32>, Vec<String>) {
    let mut list: Vec<i32> = Vec::new();
    let mut unknown = Vec::new();
    let mut default = DEFAULT_ENCTYPES.to_vec();
    if allow_weak {
        default.push(ENCTYPE_RC4_HMAC);
    }
    for word in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
    {
        let (remove, name) = match word.as_bytes()[0] {
            b'-' => (true, &word[1..]),
            b'+' => (false, &word[1..]),
            _ => (false, word),
        };
        let lower = name.to_ascii_lowercase();
        let types: Vec<i32> = if lower == "default" {
            default.clone()
        } else if let Some((_, f)) = FAMILIES.iter().find(|(n, _)| *n == lower) {
            f.to_vec()
        } else if let Some((_, e)) = NAMES.iter().find(|(n, _)| *n == lower) {
            vec![*e]
        } else if let Ok(e) = lower.parse::<i32>() {
            vec![e]
        } else {
            unknown.push(word.to_string());
            continue;
        };
        for e in types {
            if remove {
                list.retain(|x| *x != e);
            } else if !list.contains(&e) && (allow_weak || !is_weak(e)) {
                list.push(e);
            }
        }
    }
    (list, unknown)
}

/// MIT's booleans: y, yes, true, t, 1, on / n, no, false, nil, 0, off.
pub fn parse_boolean(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "t" | "1" | "on" => Some(true),
        "n" | "no" | "false" | "nil" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// A duration in seconds: `36000`, `10h`, `1d`, `1h30m`, `1d 2h 3m 4s`
/// (units in that order, each at most once), `hh:mm` or `hh:mm:ss`
/// (optionally after `Nd`).
pub fn parse_duration(v: &str) -> Option<u32> {
    let s = v.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    // Units seen so far: 4 = none, 3 = d, 2 = h, 1 = m, 0 = s.
    let mut last = 4;
    let number = |i: &mut usize| -> Option<u64> {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        s[start..*i].parse().ok().filter(|_| *i - start <= 10)
    };
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let n = number(&mut i)?;
        let (rank, scale) = match bytes.get(i) {
            Some(b'd') => (3, 86_400),
            Some(b'h') => (2, 3_600),
            Some(b'm') => (1, 60),
            Some(b's') => (0, 1),
            Some(b':') if last > 2 => {
                i += 1;
                let m = number(&mut i)?;
                let sec = if bytes.get(i) == Some(&b':') {
                    i += 1;
                    number(&mut i)?
                } else {
                    0
                };
                if m > 59 || sec > 59 || i != bytes.len() {
                    return None;
                }
                total += n * 3_600 + m * 60 + sec;
                last = 0;
                continue;
            }
            _ => return None,
        };
        if rank >= last {
            return None;
        }
        last = rank;
        total = total.checked_add(n.checked_mul(scale)?)?;
        i += 1;
    }
    if last == 4 {
        return None;
    }
    u32::try_from(total).ok()
}
