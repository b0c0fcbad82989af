//! Colour difference for the seam metric: sRGB (D65) to CIELAB, and CIEDE2000 after
//! G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 Color-Difference Formula: Implementation
//! Notes, Supplementary Test Data, and Mathematical Observations", Color Research &
//! Application 30(1), 2005. ΔE2000 ≈ 1 is about the smallest difference an observer notices
//! side by side; a seam under 2 is hard to see.

/// CIELAB coordinates (D65 white).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lab {
    pub l: f64,
    pub a: f64,
    pub b: f64,
}

fn srgb_to_linear(v: u8) -> f64 {
    let c = f64::from(v) / 255.0;
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Converts an 8-bit sRGB colour to CIELAB.
pub fn srgb_to_lab(rgb: [u8; 3]) -> Lab {
    let [r, g, b] = rgb.map(srgb_to_linear);
    // IEC 61966-2-1 primaries, D65 white; XYZ relative to the white point.
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175_0 * b;
    let z = (0.019_333_9 * r + 0.119_192_0 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |t: f64| {
        const EPSILON: f64 = 216.0 / 24389.0;
        const KAPPA: f64 = 24389.0 / 27.0;
        if t > EPSILON {
            t.cbrt()
        } else {
            (KAPPA * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    Lab {
        l: 116.0 * fy - 16.0,
        a: 500.0 * (fx - fy),
        b: 200.0 * (fy - fz),
    }
}

/// The CIEDE2000 colour difference with kL = kC = kH = 1.
pub fn ciede2000(p: Lab, q: Lab) -> f64 {
    use std::f64::consts::PI;
    let deg = |r: f64| r * 180.0 / PI;
    let rad = |d: f64| d * PI / 180.0;
    let c1 = p.a.hypot(p.b);
    let c2 = q.a.hypot(q.b);
    let c_mean = (c1 + c2) / 2.0;
    let c7 = c_mean.powi(7);
    let g = 0.5 * (1.0 - (c7 / (c7 + 25f64.powi(7))).sqrt());
    let a1 = (1.0 + g) * p.a;
    let a2 = (1.0 + g) * q.a;
    let c1p = a1.hypot(p.b);
    let c2p = a2.hypot(q.b);
    let hue = |b: f64, a: f64| {
        if a == 0.0 && b == 0.0 {
            0.0
        } else {
            deg(b.atan2(a)).rem_euclid(360.0)
        }
    };
    let h1p = hue(p.b, a1);
    let h2p = hue(q.b, a2);
    let dl = q.l - p.l;
    let dc = c2p - c1p;
    let dh_angle = if c1p * c2p == 0.0 {
        0.0
    } else if (h2p - h1p).abs() <= 180.0 {
        h2p - h1p
    } else if h2p - h1p > 180.0 {
        h2p - h1p - 360.0
    } else {
        h2p - h1p + 360.0
    };
    let dh = 2.0 * (c1p * c2p).sqrt() * (rad(dh_angle) / 2.0).sin();
    let l_mean = (p.l + q.l) / 2.0;
    let cp_mean = (c1p + c2p) / 2.0;
    let hp_mean = if c1p * c2p == 0.0 {
        h1p + h2p
    } else if (h1p - h2p).abs() <= 180.0 {
        (h1p + h2p) / 2.0
    } else if h1p + h2p < 360.0 {
        (h1p + h2p + 360.0) / 2.0
    } else {
        (h1p + h2p - 360.0) / 2.0
    };
    let t = 1.0 - 0.17 * rad(hp_mean - 30.0).cos()
        + 0.24 * rad(2.0 * hp_mean).cos()
        + 0.32 * rad(3.0 * hp_mean + 6.0).cos()
        - 0.20 * rad(4.0 * hp_mean - 63.0).cos();
    let d_theta = 30.0 * (-((hp_mean - 275.0) / 25.0).powi(2)).exp();
    let cp7 = cp_mean.powi(7);
    let rc = 2.0 * (cp7 / (cp7 + 25f64.powi(7))).sqrt();
    let l50 = (l_mean - 50.0).powi(2);
    let sl = 1.0 + 0.015 * l50 / (20.0 + l50).sqrt();
    let sc = 1.0 + 0.045 * cp_mean;
    let sh = 1.0 + 0.015 * cp_mean * t;
    let rt = -(rad(2.0 * d_theta)).sin() * rc;
    ((dl / sl).powi(2) + (dc / sc).powi(2) + (dh / sh).powi(2) + rt * (dc / sc) * (dh / sh)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs from Sharma et al.'s supplementary test data (Table 1), with their ΔE00.
    const SHARMA: [([f64; 3], [f64; 3], f64); 8] = [
        ([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485], 2.0425),
        ([50.0, 3.1571, -77.2803], [50.0, 0.0, -82.7485], 2.8615),
        ([50.0, -1.0, 2.0], [50.0, 0.0, 0.0], 2.3669),
        ([50.0, 2.49, -0.001], [50.0, -2.49, 0.0011], 7.2195),
        ([50.0, 2.5, 0.0], [73.0, 25.0, -18.0], 27.1492),
        (
            [60.2574, -34.0099, 36.2677],
            [60.4626, -34.1751, 39.4387],
            1.2644,
        ),
        (
            [22.7233, 20.0904, -46.6940],
            [23.0331, 14.9730, -42.5619],
            2.0373,
        ),
        (
            [2.0776, 0.0795, -1.1350],
            [0.9033, -0.0636, -0.5514],
            0.9082,
        ),
    ];

    #[test]
    fn ciede2000_matches_sharmas_test_data() {
        for (p, q, expected) in SHARMA {
            let lab = |v: [f64; 3]| Lab {
                l: v[0],
                a: v[1],
                b: v[2],
            };
            let got = ciede2000(lab(p), lab(q));
            assert!(
                (got - expected).abs() < 1e-4,
                "{p:?} {q:?}: {got} vs {expected}"
            );
            assert!(
                (ciede2000(lab(q), lab(p)) - expected).abs() < 1e-4,
                "not symmetric"
            );
        }
    }

    #[test]
    fn srgb_to_lab_hits_known_values() {
        let white = srgb_to_lab([255, 255, 255]);
        assert!((white.l - 100.0).abs() < 0.01 && white.a.abs() < 0.01 && white.b.abs() < 0.01);
        let black = srgb_to_lab([0, 0, 0]);
        assert!(black.l.abs() < 1e-9);
        // sRGB red is L 53.24, a 80.09, b 67.20 (Lindbloom's calculator).
        let red = srgb_to_lab([255, 0, 0]);
        assert!((red.l - 53.24).abs() < 0.02, "{red:?}");
        assert!((red.a - 80.09).abs() < 0.05, "{red:?}");
        assert!((red.b - 67.20).abs() < 0.05, "{red:?}");
    }
}
