//! Distinct contacts over days and groups (bots, owners), counted in compressed sets.
//!
//! A 90-day report of a large account meets millions of contacts, each on several days.
//! Gathered in a vector to sort and dedup, they were the report's largest allocation (8
//! bytes an id, twice while the vector grew). A roaring bitmap holds a run of nearby ids
//! in a bit each, and a sparse one in two bytes each, so a report's sets stay a few MiB.

use roaring::RoaringTreemap;

/// A set of ids (contacts), each counted once however often it is added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSet(RoaringTreemap);

impl IdSet {
    /// Adds the ids, in any order and with repeats.
    pub fn extend(&mut self, ids: impl IntoIterator<Item = i64>) {
        // `as u64` maps every i64 to a distinct u64, so the count stays exact.
        self.0.extend(ids.into_iter().map(|id| id as u64));
    }

    /// How many distinct ids the set holds.
    pub fn len(&self) -> i64 {
        self.0.len() as i64
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<i64> for IdSet {
    fn from_iter<I: IntoIterator<Item = i64>>(ids: I) -> Self {
        let mut set = IdSet::default();
        set.extend(ids);
        set
    }
}

/// How many distinct ids the sets hold together.
pub fn union_len<'a>(sets: impl IntoIterator<Item = &'a IdSet>) -> i64 {
    let mut all = RoaringTreemap::new();
    for s in sets {
        all |= &s.0;
    }
    all.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_union_counts_each_id_once_however_many_sets_hold_it() {
        let a: IdSet = [5, 1, 3, 3, 9].into_iter().collect();
        let mut b: IdSet = [3, 4].into_iter().collect();
        b.extend([5, 4]);
        let empty = IdSet::default();
        assert_eq!((a.len(), b.len(), empty.len()), (4, 3, 0));
        assert!(empty.is_empty() && !a.is_empty());
        assert_eq!(union_len([&a, &b, &empty]), 5);
        assert_eq!(union_len([&b]), 3);
        assert_eq!(union_len(std::iter::empty()), 0);
    }

    #[test]
    fn ids_far_apart_and_negative_are_counted_exactly() {
        let ids = [i64::MIN, -1, 0, 1, 1 << 40, (1 << 40) + 1, i64::MAX];
        let mut set: IdSet = ids.into_iter().collect();
        set.extend(ids.into_iter().rev());
        assert_eq!(set.len(), ids.len() as i64);
        // A dense run of a million ids, as a large account's contacts are.
        let dense: IdSet = (1_000_000..2_000_000).chain(1_500_000..2_500_000).collect();
        assert_eq!(dense.len(), 1_500_000);
        assert_eq!(union_len([&set, &dense]), 1_500_000 + ids.len() as i64);
    }
}
