//! Where control flow joins: reconciling where each way in keeps the
//! locals (see `frame.rs`).
//!
//! Without reductions every local is always in its variable and none of
//! this applies. With them, a call leaves the locals it saved in the record
//! area, and loading them all back before every branch would cost a load
//! per live local per branch, and, worse, a fresh SSA value each, which
//! becomes a block parameter at every join, the register allocator's
//! heaviest work. So each join takes the *meet* of its ways in instead:
//!
//! - A `block`'s or `if`'s end: every way in is known by the time the end
//!   is translated, so each branch there goes through a *landing* block of
//!   its own (when it has something to reconcile), filled at the end. A
//!   local in the area on every way in stays there; a local dead on one way
//!   in is dead at the join (it is dead on every path from there), whatever
//!   the others hold; where ways in disagree, the local goes to the area if
//!   no more of them have it in its variable only than in the area only
//!   (those store it), else to its variable (the others load it): a store
//!   makes no new value for the join to merge.
//! - A `loop`'s header: its back edges come after it, so the header decides
//!   when it is entered. In a loop with resume points inside, every local
//!   live there is put in the area first (a store before the loop, if it is
//!   only in its variable), and those the loop uses are loaded in its entry
//!   block, the block restored frames enter the loop through too: so no
//!   restore path through the loop carries a local, and a restored frame
//!   defines none. (An innermost loop, entered often, keeps its locals in
//!   variables, and so does a loop with calls for those it writes: a
//!   recursion turned into a loop runs about once per entry.) What stays in
//!   the area: locals the
//!   loop does not touch, and, in a loop with calls that can suspend (which
//!   put them back anyway), the ones it does not write. Locals the loop
//!   reads but does not write are in both places, so its fuel check need
//!   not save them. Each back edge conforms with a store or a load before
//!   it branches. Either leaves the local in both places, which is right on
//!   the branch's other way too.
//!
//! The state of a join takes a few bytes per local per open frame, and
//! each landing a list of locals; past [`TRACKED_BYTES`] in all, a frame
//! is not tracked (every way into it loads what is in the area only, as if
//! every local lived in its variable), and a way into a tracked one puts
//! every local in both places instead of getting a landing.

use super::control::{FrameKind, Joins, Landing, Tally};
use super::frame::{AreaLayout, LocalHome};
use super::Translation;
use cranelift_codegen::ir::{Block, InstBuilder};

/// Bytes of join state (homes, tallies, landings' lists) the open frames
/// of one function may hold.
const TRACKED_BYTES: usize = 64 << 20;

/// Join state a tracked frame holds per local: a tally, a meet and a start.
const JOIN_BYTES_PER_LOCAL: usize = std::mem::size_of::<Tally>() + 2 * std::mem::size_of::<LocalHome>();

/// What a landing's lists count against [`TRACKED_BYTES`].
fn landing_bytes(area_only: &[u32], variable_only: &[u32]) -> usize {
    4 * (area_only.len() + variable_only.len())
}

/// Counts a way in with `homes` into a join's `tally` (`None`: no way in
/// yet); `area` tells which locals have a word in the area now.
fn tally_into(tally: &mut Option<Box<[Tally]>>, homes: &[LocalHome], area: &AreaLayout) {
    let tally = tally.get_or_insert_with(|| vec![Tally::default(); homes.len()].into());
    for (local, (t, h)) in tally.iter_mut().zip(homes).enumerate() {
        match h {
            LocalHome::Area => t.area_only += 1,
            LocalHome::Variable if area.has_local(local as u32) => t.variable_only += 1,
            LocalHome::Variable => t.pinned = true,
            LocalHome::Dead => t.dead = true,
            LocalHome::Both => {}
        }
    }
}

/// Where a local is after a join, given where its ways in have it: dead if
/// it is dead on one (then it is dead on every path from the join); in its
/// variable if one way in had it there before it had a word in the area;
/// in both places if it is on all; otherwise in the area if at most as many
/// ways in have it in its variable only as in the area only (they store
/// it), else in its variable (the others load it). A store makes no new
/// value, where a load makes one that the join must merge.
fn meet_of(tally: Tally) -> LocalHome {
    match tally {
        Tally { dead: true, .. } => LocalHome::Dead,
        Tally { pinned: true, .. } => LocalHome::Variable,
        Tally { area_only: 0, variable_only: 0, .. } => LocalHome::Both,
        Tally { area_only, variable_only, .. } if variable_only <= area_only => LocalHome::Area,
        _ => LocalHome::Variable,
    }
}

impl Translation<'_, '_> {
    /// Join state for a new `block`, `loop` or `if` frame: tracked if the
    /// function has reductions and the budget allows.
    pub(super) fn open_joins(&mut self) -> Joins {
        let bytes = JOIN_BYTES_PER_LOCAL * self.homes.len();
        let Some(suspension) = self.suspension.as_mut() else { return Joins::default() };
        if suspension.tracked_bytes + bytes > TRACKED_BYTES {
            return Joins::default();
        }
        suspension.tracked_bytes += bytes;
        Joins { tracked: true, ..Joins::default() }
    }

    /// Releases what [`Translation::open_joins`] charged.
    pub(super) fn close_joins(&mut self, joins: &Joins) {
        let bytes = JOIN_BYTES_PER_LOCAL * self.homes.len();
        if let Some(suspension) = self.suspension.as_mut().filter(|_| joins.tracked) {
            suspension.tracked_bytes -= bytes;
        }
    }

    /// Loads every local that is in the area only (it is then in both
    /// places).
    fn load_area_only(&mut self) {
        for local in 0..self.homes.len() {
            if self.homes[local] == LocalHome::Area {
                let value = self.load_local(local as u32);
                self.b.def_var(self.locals[local], value);
                self.homes[local] = LocalHome::Both;
            }
        }
    }

    /// At an untracked join: every local is in its variable (a dead one's
    /// variable holds any value, which is never read).
    fn forget_homes(&mut self) {
        self.homes.fill(LocalHome::Variable);
    }

    /// Before a branch to the frame at `index` (in `self.control`): a back
    /// edge to a loop conforms to its header's homes and memory cache (code
    /// before the branch); a way into a block's or an if's end joins its
    /// meet (and whether the memory cache is stale), and gets a landing
    /// block (returned) if it has locals in the area only.
    pub(super) fn join_edge(&mut self, index: usize) -> Option<Block> {
        let stale = self.env.memory_cache_stale();
        let frame = &mut self.control[index];
        match frame.kind {
            FrameKind::Block | FrameKind::If { .. } => frame.joins.cache_stale |= stale,
            FrameKind::Loop { keeps_memory_cache: true, .. } => self.env.settle_memory_cache(&mut self.b),
            FrameKind::Loop { keeps_memory_cache: false, .. } | FrameKind::Function => {}
        }
        self.suspension.as_ref()?;
        let frame = &self.control[index];
        match frame.kind {
            FrameKind::Function => None,
            FrameKind::Loop { .. } => {
                let header = frame.joins.start.clone();
                self.conform_to(header.as_deref());
                None
            }
            FrameKind::Block | FrameKind::If { .. } => {
                if !frame.joins.tracked {
                    self.load_area_only();
                    return None;
                }
                let (area_only, variable_only) = self.edge_lists(&self.homes.clone());
                if area_only.is_empty() {
                    // No landing (it would change nothing but the
                    // layout): this way in keeps its locals in variables.
                    self.add_way_in_pinned(index);
                    return None;
                }
                let bytes = landing_bytes(&area_only, &variable_only);
                let suspension = self.suspension();
                if suspension.tracked_bytes + bytes > TRACKED_BYTES {
                    // No room to remember this way in: put every local
                    // with a word in both places now, which suits any meet.
                    self.load_area_only();
                    for local in variable_only {
                        self.store_local(local);
                        self.homes[local as usize] = LocalHome::Both;
                    }
                    self.add_way_in(index);
                    return None;
                }
                suspension.tracked_bytes += bytes;
                self.add_way_in(index);
                let block = self.b.create_block();
                self.control[index].joins.landings.push(Landing { block, area_only, variable_only });
                Some(block)
            }
        }
    }

    /// Counts the current homes into the tally of the frame at `index`,
    /// for a way in without a landing block, which cannot store: its
    /// locals in variables only stay there at the join.
    fn add_way_in_pinned(&mut self, index: usize) {
        let tally = &mut self.control[index].joins.tally;
        let tally = tally.get_or_insert_with(|| vec![Tally::default(); self.homes.len()].into());
        for (t, h) in tally.iter_mut().zip(&self.homes) {
            match h {
                LocalHome::Area => t.area_only += 1,
                LocalHome::Variable => t.pinned = true,
                LocalHome::Dead => t.dead = true,
                LocalHome::Both => {}
            }
        }
    }

    /// Counts the current homes into the tally of the frame at `index`.
    fn add_way_in(&mut self, index: usize) {
        let area = &self.suspension.as_ref().expect("joins are tracked with reductions only").area;
        tally_into(&mut self.control[index].joins.tally, &self.homes, area);
    }

    /// The locals a way in with `homes` may have to load or store at a
    /// join: those in the area only, and those in their variables only
    /// that have a word in the area (no other can be in the area at a
    /// join).
    fn edge_lists(&mut self, homes: &[LocalHome]) -> (Vec<u32>, Vec<u32>) {
        let area = &self.suspension().area;
        let (mut area_only, mut variable_only) = (Vec::new(), Vec::new());
        for (local, home) in homes.iter().enumerate() {
            match home {
                LocalHome::Area => area_only.push(local as u32),
                LocalHome::Variable if area.has_local(local as u32) => variable_only.push(local as u32),
                _ => {}
            }
        }
        (area_only, variable_only)
    }

    /// Makes the current homes agree with `target` (a loop header's;
    /// `None`: untracked, every local in its variable): a local the target
    /// has in the area only is stored there, one it has in its variable is
    /// loaded. Either leaves the local in both places.
    fn conform_to(&mut self, target: Option<&[LocalHome]>) {
        let Some(target) = target else {
            self.load_area_only();
            return;
        };
        for (local, want) in target.iter().enumerate() {
            let have = self.homes[local];
            if *want == LocalHome::Dead || have == LocalHome::Dead {
                continue;
            }
            if want.in_area() && !have.in_area() {
                self.store_local(local as u32);
                self.homes[local] = LocalHome::Both;
            } else if *want != LocalHome::Area && have == LocalHome::Area {
                let value = self.load_local(local as u32);
                self.b.def_var(self.locals[local], value);
                self.homes[local] = LocalHome::Both;
            }
        }
    }

    /// At a `loop` operator, before its header: decides the header's homes
    /// (see the module's doc), stores in the area the live locals that are
    /// only in their variables, and returns the homes (`None`: untracked,
    /// the current block loaded what was in the area only) with the locals
    /// the loop's entry block must load (see [`Translation::enter_loop`]).
    pub(super) fn loop_header_homes(&mut self, joins: &Joins) -> (Option<Box<[LocalHome]>>, Vec<u32>) {
        let Some(suspension) = self.suspension.as_ref() else { return (None, Vec::new()) };
        if !joins.tracked {
            self.load_area_only();
            self.forget_homes();
            return (None, Vec::new());
        }
        let lp = suspension.cost.loop_at(self.op_offset);
        let (calls, hops) = (lp.encloses_calls, lp.encloses_points);
        let live = suspension.liveness.at(self.op_offset);
        let read = suspension.liveness.read_in_loop(self.op_offset);
        let written = suspension.liveness.written_in_loop(self.op_offset);
        let has = |list: Option<&[u32]>, local: usize| list.is_none_or(|l| l.binary_search(&(local as u32)).is_ok());
        let mut header: Box<[LocalHome]> = self.homes.clone().into();
        if let Some(live) = live {
            let mut live = live.iter().peekable();
            for (local, home) in header.iter_mut().enumerate() {
                if live.next_if(|l| **l as usize == local).is_none() {
                    *home = LocalHome::Dead;
                }
            }
        }
        let mut entry_loads = Vec::new();
        let mut entry_stores = Vec::new();
        for (local, home) in header.iter_mut().enumerate() {
            let (is_read, is_written) = (has(read, local), has(written, local));
            match *home {
                LocalHome::Dead => {}
                // A local the loop does not write goes through the area,
                // stored once before the loop: then no way into the loop,
                // restored frames' included, has to carry it.
                // An innermost loop (the hot kind) keeps its way in free
                // of stores: only its own point's restore path enters it.
                // So does a loop with calls for the locals it writes (it
                // may run once per entry, like a recursion turned into a
                // loop, where its calls store what they need anyway).
                LocalHome::Variable if !hops || (calls && is_written) => {}
                LocalHome::Variable => {
                    entry_stores.push(local as u32);
                    if (calls || !is_read) && !is_written {
                        *home = LocalHome::Area;
                    } else {
                        entry_loads.push(local as u32);
                        *home = if is_written { LocalHome::Variable } else { LocalHome::Both };
                    }
                }
                // Its calls put the locals back in the area anyway.
                _ if calls || (!is_read && !is_written) => *home = LocalHome::Area,
                _ => {
                    entry_loads.push(local as u32);
                    *home = if is_written { LocalHome::Variable } else { LocalHome::Both };
                }
            }
        }
        for local in entry_stores {
            self.store_local(local);
            self.homes[local as usize] = LocalHome::Both;
        }
        (Some(header), entry_loads)
    }

    /// In a loop's entry block (with reductions: the block both the code
    /// before the loop and restored frames enter it through), after
    /// [`Translation::loop_header_homes`]: loads `entry_loads` (their area
    /// words hold their values on both ways in) and takes the header's
    /// homes. So a frame restored at the loop's header defines only the
    /// locals the header has in their variables and not loaded here.
    pub(super) fn enter_loop(&mut self, header: Option<&[LocalHome]>, entry_loads: &[u32]) {
        for local in entry_loads {
            let value = self.load_local(*local);
            self.b.def_var(self.locals[*local as usize], value);
        }
        if let Some(header) = header {
            self.homes.copy_from_slice(header);
        }
    }

    /// At an `if`: where both arms start (`None`: untracked, every local in
    /// its variable, loaded now if need be).
    pub(super) fn if_start_homes(&mut self, joins: &Joins) -> Option<Box<[LocalHome]>> {
        self.suspension.as_ref()?;
        if !joins.tracked {
            self.load_area_only();
            self.forget_homes();
            return None;
        }
        Some(self.homes.clone().into())
    }

    /// At an `else` (reachable or not): the else arm starts from the homes
    /// the `if` had.
    pub(super) fn start_else_arm(&mut self, start: Option<&[LocalHome]>) {
        match start {
            Some(start) => self.homes.copy_from_slice(start),
            None => self.forget_homes(),
        }
    }

    /// What a way in needs to reach a join whose homes are `meet`: loads
    /// of the locals it has in the area only that the meet wants in their
    /// variables, stores of those it has in their variables only that the
    /// meet wants in the area.
    fn conform_to_meet(&mut self, area_only: &[u32], variable_only: &[u32], meet: &[LocalHome]) {
        for local in area_only {
            if meet[*local as usize] == LocalHome::Variable {
                let value = self.load_local(*local);
                self.b.def_var(self.locals[*local as usize], value);
            }
        }
        for local in variable_only {
            if meet[*local as usize].in_area() {
                self.store_local(*local);
            }
        }
    }

    /// At the end of the frame at `index` (a block or an if), with every
    /// way in known but the ones still to be emitted: the fall-through of
    /// its last arm (`falls_through`) and an if's implicit else arm
    /// (`implicit_else`, the homes it starts from). Counts them in and
    /// decides the join's homes (`joins.meet`; none if untracked or not
    /// reached).
    pub(super) fn final_meet(&mut self, index: usize, falls_through: bool, implicit_else: Option<&[LocalHome]>) {
        if !self.control[index].joins.tracked {
            return;
        }
        if falls_through {
            self.add_way_in(index);
        }
        if let Some(start) = implicit_else {
            let area = &self.suspension.as_ref().expect("joins are tracked with reductions only").area;
            tally_into(&mut self.control[index].joins.tally, start, area);
        }
        let joins = &mut self.control[index].joins;
        joins.meet = joins.tally.take().map(|tally| tally.iter().map(|t| meet_of(*t)).collect());
    }

    /// On a way into a join with `meet` that is emitted inline (a
    /// fall-through, an implicit else) with `homes`: its loads and stores
    /// (untracked: loads of what is in the area only).
    pub(super) fn conform_inline(&mut self, homes: &[LocalHome], meet: Option<&[LocalHome]>) {
        if self.suspension.is_none() {
            return;
        }
        let (area_only, variable_only) = self.edge_lists(homes);
        match meet {
            Some(meet) => self.conform_to_meet(&area_only, &variable_only, meet),
            None => {
                for local in area_only {
                    let value = self.load_local(local);
                    self.b.def_var(self.locals[local as usize], value);
                }
            }
        }
    }

    /// Fills the landing blocks of a join whose homes are `meet` and that
    /// continues at `next`; then the translation continues at the join with
    /// those homes.
    pub(super) fn finish_join(&mut self, landings: Vec<Landing>, meet: Option<&[LocalHome]>, next: Block) {
        for landing in landings {
            self.suspension().tracked_bytes -= landing_bytes(&landing.area_only, &landing.variable_only);
            self.b.switch_to_block(landing.block);
            self.b.seal_block(landing.block);
            if let Some(meet) = meet {
                self.conform_to_meet(&landing.area_only, &landing.variable_only, meet);
            }
            self.b.ins().jump(next, &[]);
        }
        match meet {
            Some(meet) => self.homes.copy_from_slice(meet),
            None => self.forget_homes(),
        }
    }
}
