//! 2-D projections of the front as SVG pictures, drawn with plotters.

use crate::AeLlmResult;
use aellm_space::Objectives;
use plotters::prelude::*;

const LABELS: [&str; 4] = ["accuracy", "latency (ms)", "peak memory (GB)", "energy (J)"];
const FILES: [&str; 4] = ["accuracy", "latency", "memory", "energy"];

fn value(o: &Objectives, i: usize) -> f64 {
    [o.accuracy, o.latency_ms, o.memory_gb, o.energy_j][i]
}

fn range(points: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = points.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01).max(1e-9);
    (lo - pad)..(hi + pad)
}

/// What the charts draw, gathered once for all six of them.
struct Points {
    all: Vec<Objectives>,
    front: Vec<Objectives>,
    predicted: Vec<Objectives>,
    recommended: Option<Objectives>,
    /// Legend words for `all` and `front`: "measured", unless the
    /// evaluator predicted them (a cost model).
    labels: (&'static str, &'static str),
}

/// One SVG per pair of objectives: every successful evaluation in grey, the
/// evaluated front in blue, the predicted front as orange rings, the
/// recommendation in red. Returns (file name, SVG text).
pub fn projections(r: &AeLlmResult) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let points = Points {
        all: r
            .evaluations
            .iter()
            .filter_map(|e| e.measurement().map(|m| m.objectives()))
            .collect(),
        front: r.measured_front.iter().map(|m| m.objectives).collect(),
        predicted: r.predicted_front.iter().map(|m| m.objectives).collect(),
        recommended: r.recommended.as_ref().map(|x| x.member.objectives),
        labels: if super::front_is_predicted(r) {
            ("evaluated (predicted)", "evaluated front (predicted)")
        } else {
            ("measured", "measured front")
        },
    };
    let pairs = (0..4).flat_map(|x| ((x + 1)..4).map(move |y| (x, y)));
    pairs
        .map(|(x, y)| {
            let name = format!("front_{}_vs_{}.svg", FILES[y], FILES[x]);
            Ok((name, chart(&points, x, y)?))
        })
        .collect()
}

/// The SVG of objective `y` against objective `x`.
fn chart(p: &Points, x: usize, y: usize) -> Result<String, Box<dyn std::error::Error>> {
    let mut text = String::new();
    {
        let every = || p.all.iter().chain(&p.front).chain(&p.predicted);
        let xr = range(every().map(|o| value(o, x)));
        let yr = range(every().map(|o| value(o, y)));
        let root = SVGBackend::with_string(&mut text, (640, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{} vs {}", LABELS[y], LABELS[x]),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(xr, yr)?;
        chart
            .configure_mesh()
            .x_desc(LABELS[x])
            .y_desc(LABELS[y])
            .draw()?;
        let pt = |o: &Objectives| (value(o, x), value(o, y));
        let grey = RGBColor(170, 170, 170);
        let orange = RGBColor(230, 140, 20);
        chart
            .draw_series(p.all.iter().map(|o| Circle::new(pt(o), 3, grey.filled())))?
            .label(p.labels.0)
            .legend(move |(a, b)| Circle::new((a, b), 3, grey.filled()));
        chart
            .draw_series(
                p.predicted
                    .iter()
                    .map(|o| Circle::new(pt(o), 5, orange.stroke_width(2))),
            )?
            .label("predicted front")
            .legend(move |(a, b)| Circle::new((a, b), 5, orange.stroke_width(2)));
        chart
            .draw_series(p.front.iter().map(|o| Circle::new(pt(o), 5, BLUE.filled())))?
            .label(p.labels.1)
            .legend(|(a, b)| Circle::new((a, b), 5, BLUE.filled()));
        if let Some(o) = &p.recommended {
            chart
                .draw_series(std::iter::once(Circle::new(pt(o), 8, RED.stroke_width(3))))?
                .label("recommended")
                .legend(|(a, b)| Circle::new((a, b), 6, RED.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;
    use aellm_space::Provenance;

    /// Six charts; a front the evaluator predicted is not called measured in the legend.
    #[test]
    fn six_charts_and_an_honest_legend() {
        let mut r = sample::result();
        let svgs = projections(&r).unwrap();
        assert_eq!(svgs.len(), 6);
        assert!(svgs[0].1.contains("measured front"));
        for m in &mut r.measured_front {
            m.provenance = Provenance::Predicted;
        }
        let svgs = projections(&r).unwrap();
        assert!(
            svgs.iter().all(|(_, t)| !t.contains("measured")),
            "{}",
            svgs[0].1
        );
        assert!(svgs[0].1.contains("evaluated front (predicted)"));
    }
}
