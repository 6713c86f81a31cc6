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

/// One SVG per pair of objectives: every successful measurement in grey, the
/// measured front in blue, the predicted front as orange rings, the
/// recommendation in red. Returns (file name, SVG text).
pub fn projections(r: &AeLlmResult) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let all: Vec<Objectives> = r
        .evaluations
        .iter()
        .filter_map(|e| e.measurement().map(|m| m.objectives()))
        .collect();
    let measured: Vec<Objectives> = r.measured_front.iter().map(|m| m.objectives).collect();
    let predicted: Vec<Objectives> = r.predicted_front.iter().map(|m| m.objectives).collect();
    let rec = r.recommended.as_ref().map(|x| x.member.objectives);
    let mut out = Vec::new();
    for x in 0..4 {
        for y in (x + 1)..4 {
            let mut text = String::new();
            {
                let every = || all.iter().chain(&measured).chain(&predicted);
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
                chart
                    .draw_series(
                        all.iter()
                            .map(|o| Circle::new(pt(o), 3, RGBColor(170, 170, 170).filled())),
                    )?
                    .label("measured")
                    .legend(|(a, b)| Circle::new((a, b), 3, RGBColor(170, 170, 170).filled()));
                chart
                    .draw_series(
                        predicted
                            .iter()
                            .map(|o| Circle::new(pt(o), 5, RGBColor(230, 140, 20).stroke_width(2))),
                    )?
                    .label("predicted front")
                    .legend(|(a, b)| {
                        Circle::new((a, b), 5, RGBColor(230, 140, 20).stroke_width(2))
                    });
                chart
                    .draw_series(
                        measured
                            .iter()
                            .map(|o| Circle::new(pt(o), 5, BLUE.filled())),
                    )?
                    .label(if super::front_is_predicted(r) {
                        "evaluated front (predicted)"
                    } else {
                        "measured front"
                    })
                    .legend(|(a, b)| Circle::new((a, b), 5, BLUE.filled()));
                if let Some(o) = &rec {
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
            out.push((format!("front_{}_vs_{}.svg", FILES[y], FILES[x]), text));
        }
    }
    Ok(out)
}
