//! Hyper-parameters of [`BootstrapEnsemble`](super::BootstrapEnsemble).

use crate::error::{Result, SurrogateError};
use crate::gbdt::{GbdtParams, GbdtValidParams};
use crate::loss::{Loss, SquaredError};
use linfa::ParamGuard;
use serde::{Deserialize, Serialize};

/// Checked ensemble hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleValidParams<L = SquaredError> {
    pub(crate) member: GbdtValidParams<L>,
    pub(crate) n_members: usize,
    pub(crate) seed: u64,
    pub(crate) calibrate: bool,
}

/// Unchecked ensemble hyper-parameters: member configuration, number of
/// members (default 10), bootstrap seed, OOB calibration (default on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleParams<L = SquaredError>(EnsembleValidParams<L>);

impl<L: Loss> EnsembleParams<L> {
    pub(crate) fn new(member: GbdtParams<L>) -> Self {
        Self(EnsembleValidParams {
            member: member.0,
            n_members: 10,
            seed: 0,
            calibrate: true,
        })
    }

    /// Number of bootstrap members, at least 2.
    pub fn n_members(mut self, n_members: usize) -> Self {
        self.0.n_members = n_members;
        self
    }

    /// Seed of the bootstrap resamples (members' own seeds are offset from
    /// their configuration's seed by their index).
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// Whether to fit the OOB calibration factor `c` (otherwise `c = 1`).
    pub fn calibrate(mut self, calibrate: bool) -> Self {
        self.0.calibrate = calibrate;
        self
    }

    /// Replaces the member configuration.
    pub fn member(mut self, member: GbdtParams<L>) -> Self {
        self.0.member = member.0;
        self
    }
}

impl<L> EnsembleValidParams<L> {
    /// The member configuration.
    pub fn member(&self) -> &GbdtValidParams<L> {
        &self.member
    }
    /// Number of members.
    pub fn n_members(&self) -> usize {
        self.n_members
    }
    /// Bootstrap seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Whether the deviation is calibrated on OOB rows.
    pub fn calibrate(&self) -> bool {
        self.calibrate
    }
}

impl<L: Loss> ParamGuard for EnsembleParams<L> {
    type Checked = EnsembleValidParams<L>;
    type Error = SurrogateError;

    fn check_ref(&self) -> Result<&Self::Checked> {
        if self.0.n_members < 2 {
            return Err(SurrogateError::InvalidParameter {
                name: "n_members",
                value: self.0.n_members.to_string(),
                expected: "at least 2 (a spread needs two members)",
            });
        }
        self.0.member.validate()?;
        Ok(&self.0)
    }

    fn check(self) -> Result<Self::Checked> {
        self.check_ref()?;
        Ok(self.0)
    }
}
