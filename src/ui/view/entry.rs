//! The view state of each profile, kept by the app apart from the model: the feed's
//! filter, pause and selection, the charts' cached series, the laid-out detail body,
//! and the Compare tab's lanes. A profile's view starts over when a new session's
//! monitor is put in place ([`Entry::run`] changed), and goes when the profile does.

use std::collections::BTreeMap;

use crate::ui::model::entry::{Entry, EntryId};
use crate::ui::model::workspace::Workspace;
use crate::ui::view::chart_data::ChartCache;
use crate::ui::view::compare_lanes::CompareCharts;
use crate::ui::view::detail::DetailCache;
use crate::ui::view::feed::FeedView;

/// One profile's view state.
#[derive(Debug, Default)]
pub struct EntryView {
    /// The [`Entry::run`] the monitor views were built on.
    run: u64,
    /// The feed's filter, pause and selection.
    pub feed: FeedView,
    /// The live charts' series.
    pub charts: ChartCache,
    /// The selected feed item's laid-out body.
    pub detail: DetailCache,
    /// The Compare tab's lanes.
    pub compare: CompareCharts,
}

/// The view state of every profile, by id.
#[derive(Debug, Default)]
pub struct Views(BTreeMap<EntryId, EntryView>);

impl Views {
    /// The view of `entry`, its monitor views started over if a new session came.
    pub fn of(&mut self, entry: &Entry) -> &mut EntryView {
        let view = self.0.entry(entry.id).or_default();
        if view.run != entry.run() {
            let compare = std::mem::take(&mut view.compare);
            *view = EntryView {
                run: entry.run(),
                compare,
                ..EntryView::default()
            };
        }
        view
    }

    /// The view of `entry`, if one was made for its current session.
    #[must_use]
    pub fn get(&self, entry: &Entry) -> Option<&EntryView> {
        self.0.get(&entry.id).filter(|v| v.run == entry.run())
    }

    /// Forget the views of profiles that are gone.
    pub fn retain(&mut self, ws: &Workspace) {
        self.0.retain(|id, _| ws.get(*id).is_some());
    }
}
