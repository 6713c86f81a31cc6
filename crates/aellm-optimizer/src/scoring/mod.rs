//! How configurations are scored for a user: the utility of the paper's eq. 4
//! and the efficiency score of its results tables.

mod efficiency;
mod utility;

pub use efficiency::efficiency_score;
pub use utility::{Normaliser, utility};
