//! Smooth minimisation with argmin's L-BFGS and a Moré–Thuente line search.

use std::cell::RefCell;

use argmin::core::{CostFunction, Error, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

/// A function that returns its value and writes its gradient.
pub trait Objective {
    fn value_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64;
}

/// The last point evaluated: (x, value, gradient).
type Evaluation = (Vec<f64>, f64, Vec<f64>);

/// Adapts an [`Objective`] to argmin, computing value and gradient together once per point.
/// Both are divided by `scale`, the objective's size at the start, so the solver's tolerances
/// are relative: an absolute cost tolerance on a loss summed over thousands of matches is below
/// f64's resolution, and every fit then ran to ~45 iterations even when warm-started.
struct Problem<'a, O: Objective> {
    objective: &'a O,
    scale: f64,
    last: RefCell<Option<Evaluation>>,
}

impl<O: Objective> Problem<'_, O> {
    fn evaluate(&self, x: &[f64]) -> (f64, Vec<f64>) {
        if let Some((at, value, gradient)) = &*self.last.borrow() {
            if at.as_slice() == x {
                return (*value, gradient.clone());
            }
        }
        let mut gradient = vec![0.0; x.len()];
        let value = self.objective.value_and_gradient(x, &mut gradient) / self.scale;
        gradient.iter_mut().for_each(|g| *g /= self.scale);
        *self.last.borrow_mut() = Some((x.to_vec(), value, gradient.clone()));
        (value, gradient)
    }
}

impl<O: Objective> CostFunction for Problem<'_, O> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.evaluate(x).0)
    }
}

impl<O: Objective> Gradient for Problem<'_, O> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self.evaluate(x).1)
    }
}

/// Minimises `objective` from `start` to a relative precision of about 1e-10 in value; returns the best point found (`start` if the solver fails,
/// e.g. on a non-finite value).
pub fn minimize<O: Objective>(objective: &O, start: Vec<f64>, max_iters: u64) -> Vec<f64> {
    let mut scratch = vec![0.0; start.len()];
    let at_start = objective.value_and_gradient(&start, &mut scratch).abs();
    let scale = if at_start.is_finite() {
        at_start.max(1.0)
    } else {
        1.0
    };
    let problem = Problem {
        objective,
        scale,
        last: RefCell::new(None),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-7)
        .and_then(|s| s.with_tolerance_cost(1e-10));
    let Ok(solver) = solver else {
        return start;
    };
    let run = Executor::new(problem, solver)
        .configure(|state| state.param(start.clone()).max_iters(max_iters))
        .run();
    match run {
        Ok(result) => result
            .state()
            .get_best_param()
            .cloned()
            .filter(|p| p.iter().all(|v| v.is_finite()))
            .unwrap_or(start),
        Err(_) => start,
    }
}

/// Checks an analytic gradient against central differences; returns the largest relative error.
pub fn gradient_check<O: Objective>(objective: &O, x: &[f64]) -> f64 {
    let mut analytic = vec![0.0; x.len()];
    objective.value_and_gradient(x, &mut analytic);
    let mut scratch = vec![0.0; x.len()];
    let mut worst = 0.0f64;
    for i in 0..x.len() {
        let h = 1e-6 * (1.0 + x[i].abs());
        let mut plus = x.to_vec();
        plus[i] += h;
        let mut minus = x.to_vec();
        minus[i] -= h;
        let numeric = (objective.value_and_gradient(&plus, &mut scratch)
            - objective.value_and_gradient(&minus, &mut scratch))
            / (2.0 * h);
        let error = (numeric - analytic[i]).abs() / (1.0 + numeric.abs().max(analytic[i].abs()));
        worst = worst.max(error);
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rosenbrock;
    impl Objective for Rosenbrock {
        fn value_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        }
    }

    #[test]
    fn lbfgs_finds_the_rosenbrock_minimum() {
        let x = minimize(&Rosenbrock, vec![-1.2, 1.0], 500);
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4,
            "{x:?}"
        );
        assert!(gradient_check(&Rosenbrock, &[0.3, -0.7]) < 1e-6);
    }
}
