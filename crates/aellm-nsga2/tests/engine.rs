//! The engine end to end, on small runs.

use aellm_nsga2::dominance::constrained_dominates;
use aellm_nsga2::indicators::hypervolume;
use aellm_nsga2::operators::{Crossover, HashDuplicates, Mutation, Sampling};
use aellm_nsga2::problems::{Bnh, Zdt};
use aellm_nsga2::{
    Driver, Evaluation, GenerationRecord, Nsga2, Nsga2Error, Nsga2Run, OptimizationResult, Problem,
    RealProblem, Termination, TerminationReason, minimize,
};
use rand::{Rng, RngCore};

fn same_run<G: PartialEq + std::fmt::Debug>(a: &OptimizationResult<G>, b: &OptimizationResult<G>) {
    assert_eq!(a.population, b.population);
    assert_eq!(a.front, b.front);
    assert_eq!(a.archive, b.archive);
    assert_eq!(a.n_evaluations, b.n_evaluations);
    let strip = |h: &[GenerationRecord]| {
        h.iter()
            .map(|r| GenerationRecord {
                elapsed_seconds: 0.0,
                ..r.clone()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a.history), strip(&b.history));
}

#[test]
fn zdt1_reaches_hv_086_in_a_short_run() {
    let zdt1 = Zdt::zdt1(30);
    let algo = Nsga2::real(zdt1.bounds()).pop_size(100).build().unwrap();
    let res = minimize(&zdt1, &algo, Termination::generations(150), 1).unwrap();
    let hv = hypervolume(&res.front_objectives(), &[1.1, 1.1]).unwrap();
    assert!(hv >= 0.86, "hv = {hv}");
    assert_eq!(res.termination, Some(TerminationReason::Generations));
    assert_eq!(res.n_evaluations, 15_000);
}

#[test]
fn parallel_equals_serial() {
    let zdt = Zdt::zdt2(12);
    let algo = Nsga2::real(zdt.bounds()).pop_size(40).build().unwrap();
    let run = |par| {
        Driver::new(&zdt, algo.clone())
            .termination(Termination::generations(15))
            .seed(9)
            .parallel(par)
            .run()
    };
    same_run(&run(false).unwrap(), &run(true).unwrap());
}

/// Eight seeded cases of a property of whole runs: (the case's seed, a
/// stream for its other inputs).
fn eight_cases(mut property: impl FnMut(u64, &mut rand_chacha::ChaCha8Rng)) {
    use rand::SeedableRng;
    for case in 0..8 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(case);
        let seed = rng.next_u64();
        property(seed, &mut rng);
    }
}

#[test]
fn ask_tell_equals_run() {
    eight_cases(|seed, rng| {
        let k = rng.random_range(2..4);
        let bnh = Bnh::new();
        let algo = Nsga2::real(bnh.bounds())
            .pop_size(20)
            .tournament_size(k)
            .build()
            .unwrap();
        let term = Termination::generations(8);
        let by_run = Driver::new(&bnh, algo.clone())
            .termination(term.clone())
            .seed(seed)
            .run()
            .unwrap();
        let mut at = Nsga2Run::setup(algo, 2, 2, term, seed).unwrap();
        while at.has_next() {
            let batch = at.ask().unwrap();
            let evals: Vec<Evaluation> = batch.iter().map(|x| bnh.evaluate(x)).collect();
            at.tell(evals).unwrap();
        }
        same_run(&by_run, &at.into_result());
    });
}

#[test]
fn no_population_member_dominates_the_first_front() {
    eight_cases(|seed, rng| {
        let generations = rng.random_range(1..12);
        let bnh = Bnh::new();
        let algo = Nsga2::real(bnh.bounds()).pop_size(24).build().unwrap();
        let res = minimize(&bnh, &algo, Termination::generations(generations), seed).unwrap();
        assert!(!res.front.is_empty(), "seed {seed}");
        for f in &res.front {
            for p in &res.population {
                assert!(
                    !constrained_dominates(
                        &p.objectives,
                        p.constraint_violation,
                        &f.objectives,
                        f.constraint_violation
                    ),
                    "seed {seed}"
                );
            }
        }
    });
}

#[test]
fn constrained_front_is_feasible() {
    let bnh = Bnh::new();
    let algo = Nsga2::real(bnh.bounds()).pop_size(40).build().unwrap();
    let res = minimize(&bnh, &algo, Termination::generations(30), 3).unwrap();
    assert!(!res.front.is_empty());
    assert!(
        res.front
            .iter()
            .chain(&res.archive)
            .all(|i| i.constraint_violation == 0.0)
    );
}

#[test]
fn ask_tell_misuse_is_an_error() {
    let zdt = Zdt::zdt1(5);
    let algo = Nsga2::real(zdt.bounds()).pop_size(10).build().unwrap();
    let mut run = Nsga2Run::setup(algo.clone(), 2, 0, Termination::generations(3), 0).unwrap();
    assert!(matches!(run.tell(vec![]), Err(Nsga2Error::TellWithoutAsk)));
    let batch = run.ask().unwrap().to_vec();
    assert!(matches!(run.ask(), Err(Nsga2Error::AskPending)));
    assert!(matches!(
        run.tell(vec![]),
        Err(Nsga2Error::EvaluationCount { .. })
    ));
    let bad: Vec<Evaluation> = batch.iter().map(|_| Evaluation::new(vec![1.0])).collect();
    assert!(matches!(
        run.tell(bad),
        Err(Nsga2Error::EvaluationShape { .. })
    ));
    // After errors the same batch can still be told.
    run.tell(batch.iter().map(|x| zdt.evaluate(x)).collect())
        .unwrap();
    assert!(Nsga2Run::setup(algo, 2, 0, Termination::default(), 0).is_err());
    assert!(Nsga2::real(zdt.bounds()).pop_size(1).build().is_err());
    assert!(
        Nsga2::real(zdt.bounds())
            .tournament_size(0)
            .build()
            .is_err()
    );
}

#[test]
fn observers_and_hypervolume_stall() {
    let zdt = Zdt::zdt1(10);
    let algo = Nsga2::real(zdt.bounds()).pop_size(30).build().unwrap();
    let mut seen = Vec::new();
    let res = Driver::new(&zdt, algo)
        .termination(
            Termination::generations(500).or(Termination::hypervolume_stall(
                vec![1.1, 1.1],
                5,
                1e-3,
            )),
        )
        .observer(|r: &GenerationRecord| seen.push(r.generation))
        .run()
        .unwrap();
    assert_eq!(res.termination, Some(TerminationReason::HypervolumeStalled));
    assert!(res.n_generations < 500);
    assert!(res.history.iter().all(|r| r.hypervolume.is_some()));
    assert_eq!(seen, (1..=res.n_generations).collect::<Vec<_>>());
}

/// Categorical genes: 4 slots of 5 options; small enough to enumerate.
struct Slots;
impl Problem for Slots {
    type Genome = Vec<usize>;
    fn n_objectives(&self) -> usize {
        2
    }
    fn evaluate(&self, x: &Vec<usize>) -> Evaluation {
        let s: usize = x.iter().sum();
        let t: usize = x.iter().map(|&v| (4 - v) * (4 - v)).sum::<usize>()
            + x.windows(2).filter(|w| w[0] != w[1]).count();
        Evaluation::new(vec![s as f64, t as f64])
    }
}

#[test]
fn categorical_genomes_find_the_enumerated_front() {
    let all: Vec<Vec<f64>> = (0..625usize)
        .map(|c| {
            Slots
                .evaluate(&vec![c % 5, c / 5 % 5, c / 25 % 5, c / 125])
                .objectives
        })
        .collect();
    let fronts = aellm_nsga2::sorting::non_dominated_sort(&all).unwrap();
    let mut truth: Vec<Vec<f64>> = fronts[0].iter().map(|&i| all[i].clone()).collect();
    truth.sort_by(|a, b| a[0].total_cmp(&b[0]));
    truth.dedup();
    let algo = Nsga2::categorical(vec![5; 4])
        .unwrap()
        .pop_size(30)
        .build()
        .unwrap();
    let res = minimize(&Slots, &algo, Termination::generations(80), 5).unwrap();
    let mut found = res.archive_objectives();
    found.sort_by(|a, b| a[0].total_cmp(&b[0]));
    assert_eq!(found, truth);
    assert!(
        res.population
            .iter()
            .all(|i| i.genome.iter().all(|&g| g < 5))
    );
}

/// A user's own genome type with its own operators.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Plan {
    workers: u8,
    fast: bool,
}

struct PlanOps;
impl Sampling<Plan> for PlanOps {
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Vec<Plan> {
        (0..n)
            .map(|_| Plan {
                workers: rng.random_range(1..=20),
                fast: rng.random(),
            })
            .collect()
    }
}
impl Crossover<Plan> for PlanOps {
    fn crossover(&self, p: &[&Plan], _rng: &mut dyn RngCore) -> Vec<Plan> {
        vec![
            Plan {
                workers: p[0].workers,
                fast: p[1].fast,
            },
            Plan {
                workers: p[1].workers,
                fast: p[0].fast,
            },
        ]
    }
}
impl Mutation<Plan> for PlanOps {
    fn mutate(&self, g: &mut Plan, rng: &mut dyn RngCore) {
        g.workers = (g.workers as i16 + rng.random_range(-2i16..=2)).clamp(1, 20) as u8;
    }
}

struct Staffing;
impl Problem for Staffing {
    type Genome = Plan;
    fn n_objectives(&self) -> usize {
        2
    }
    fn n_constraints(&self) -> usize {
        1
    }
    fn evaluate(&self, p: &Plan) -> Evaluation {
        let speed = if p.fast { 2.0 } else { 1.0 };
        let cost = p.workers as f64 * speed;
        let time = 100.0 / (p.workers as f64 * speed);
        // Need at least 3 worker-units.
        Evaluation::new(vec![cost, time]).with_constraints(vec![3.0 - cost])
    }
}

#[test]
fn user_struct_genome() {
    let algo = Nsga2::builder(PlanOps, PlanOps, PlanOps)
        .pop_size(16)
        .duplicates(HashDuplicates)
        .build()
        .unwrap();
    let res = minimize(&Staffing, &algo, Termination::generations(20), 11).unwrap();
    assert!(
        res.front
            .iter()
            .all(|i| i.constraint_violation == 0.0 && i.objectives[0] >= 3.0)
    );
    assert!(res.front.len() >= 5);
}
