"""The one action registry: it feeds every screen's key bindings, the help screen and the palette.

Each action has a binding id ("<scope>.<name>") that a user can remap in snaptui.toml:

    [keymap]
    "sweep.cancel" = "x"      # one screen's binding
    cancel = "x"              # every binding whose name is `cancel`, on every screen
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Action:
    scope: str            # "app" or a screen's scope
    name: str             # the Textual action, i.e. the screen's `action_<name>` method
    keys: str             # default keys, comma separated
    description: str      # short: shown in the footer and the help screen
    help: str = ""        # longer: shown in the palette
    show: bool = True     # in the footer
    palette: bool = True  # offered by the command palette
    key_display: str | None = None

    @property
    def id(self) -> str:
        return f"{self.scope}.{self.name}"


def _a(scope, name, keys, description, help="", show=True, palette=True, key_display=None) -> Action:
    return Action(scope, name, keys, description, help or description, show, palette, key_display)


ACTIONS: list[Action] = [
    # everywhere
    _a("app", "help", "question_mark", "Help", "List the keys of this screen", key_display="?"),
    _a("app", "refresh", "f5", "Refresh", "Poll the schedulers now", show=False),
    # home: the list of sweeps
    _a("sweeps", "open", "enter", "Open", "Open the selected sweep"),
    _a("sweeps", "filter", "slash", "Filter", "Filter sweeps by name, profile or branch", key_display="/"),
    _a("sweeps", "launch", "n", "Launch", "Launch a new sweep from a sweep file"),
    _a("sweeps", "snapshots", "s", "Snapshots", "Snapshot branches, worktrees and garbage collection"),
    _a("sweeps", "cancel_sweep", "C", "Cancel sweep", "Cancel every unfinished job of the selected sweep",
       show=False),
    _a("sweeps", "resubmit_failed", "R", "Resubmit failed",
       "Resubmit the failed, cancelled and timed-out jobs of the selected sweep", show=False),
    _a("sweeps", "quit", "q", "Quit", "Quit (jobs keep running)"),
    # one sweep
    _a("sweep", "open", "enter", "Open job", "Open the selected job's log and manifest"),
    _a("sweep", "back", "escape,q", "Back", "Back to the list of sweeps", palette=False),
    _a("sweep", "mark", "space", "Mark", "Mark or unmark the selected job"),
    _a("sweep", "mark_all", "a", "Mark all", "Mark every job shown, or unmark all", show=False),
    _a("sweep", "cancel", "c", "Cancel", "Cancel the marked jobs, or the selected one"),
    _a("sweep", "cancel_sweep", "C", "Cancel sweep", "Cancel every unfinished job of this sweep", show=False),
    _a("sweep", "resubmit", "r", "Resubmit", "Resubmit the marked jobs, or the selected one"),
    _a("sweep", "resubmit_failed", "R", "Resubmit failed",
       "Resubmit the failed jobs (the marked ones, else all) by cause, with more time or memory", show=False),
    _a("sweep", "toggle_table", "t", "Table", "Switch between the grid and the job table"),
    _a("sweep", "cycle_view", "v", "View", "Show the state, or a result as a heatmap"),
    _a("sweep", "filter", "slash", "Filter", "Filter jobs by label, state or cause (TIMEOUT, exit 1)",
       key_display="/"),
    _a("sweep", "aggregate", "m", "Mean", "Heatmap: mean and spread over the parameters not on an axis (seeds)",
       show=False),
    _a("sweep", "goal", "b", "Best", "Heatmap: the best cell is the lowest or the highest value", show=False),
    _a("sweep", "row_axis", "x", "Rows", "Next parameter for the grid rows", show=False),
    _a("sweep", "col_axis", "y", "Columns", "Next parameter for the grid columns", show=False),
    _a("sweep", "prev_slice", "left_square_bracket", "Prev slice",
       "Previous values of the parameters not on an axis", show=False, key_display="["),
    _a("sweep", "next_slice", "right_square_bracket", "Next slice",
       "Next values of the parameters not on an axis", show=False, key_display="]"),
    _a("sweep", "state_filter", "f", "State filter",
       "Show only one state (cycles)", show=False),
    _a("sweep", "next_failed", "F", "Next failed", "Select the next failed or timed-out job", show=False),
    _a("sweep", "sort", "s", "Sort", "Sort the job table by the next column", show=False),
    _a("sweep", "reverse", "S", "Reverse", "Reverse the job table's order", show=False),
    _a("sweep", "columns", "o", "Columns", "Choose the job table's result and metric columns", show=False),
    _a("sweep", "curves", "p", "Curves", "Learning curves of the marked jobs, or of all: live, one per job",
       show=False),
    # learning curves (screens/curves.py)
    _a("curves", "back", "escape,q", "Back", "Back to the sweep", palette=False),
    _a("curves", "next_metric", "m", "Metric", "Show the next metric"),
    _a("curves", "colour_by", "c", "Colour", "Colour the curves by the next swept parameter"),
    _a("curves", "smooth", "s", "Smooth", "Smoothing: none, 0.6, 0.9, 0.99"),
    _a("curves", "log_scale", "L", "Log", "Logarithmic or linear y axis"),
    _a("curves", "legend_value", "b", "Final/best", "Show each job's final or best value in the legend"),
    _a("curves", "one_job", "j", "One job", "One job's metrics, or back to the overlay of all"),
    _a("curves", "next_job", "n", "Next job", "In one-job view: the next job", show=False),
    # one job
    _a("job", "back", "escape,q", "Back", "Back to the sweep", palette=False),
    _a("job", "follow", "f", "Follow", "Follow the end of the log, or pause"),
    _a("job", "stream", "e", "out/err", "Show stdout, stderr, or both"),
    _a("job", "search", "slash", "Search", "Search the log", key_display="/"),
    _a("job", "next_match", "n", "Next", "Next match", show=False),
    _a("job", "prev_match", "N", "Prev", "Previous match", show=False),
    _a("job", "wrap", "w", "Wrap", "Wrap long lines"),
    _a("job", "top", "home,g", "Top", "Jump to the first line", show=False),
    _a("job", "bottom", "end,G", "Bottom", "Jump to the end and follow", show=False),
    _a("job", "manifest", "m", "Manifest", "Show or hide the manifest panel"),
    _a("job", "attempt", "a", "Attempt", "Show the previous attempt's log (round to the latest)", show=False),
    _a("job", "task", "t", "Task", "Multi-task jobs: show the next task's log (task 0..N-1, round to 0)"),
    _a("job", "pager", "o", "Pager", "Open the log in $PAGER (less: colours kept, from its end)", show=False),
    _a("job", "editor", "E", "Editor", "Open the log in $VISUAL/$EDITOR", show=False),
    _a("job", "copy_path", "p", "Copy path", "Copy the log file's path to the clipboard", show=False),
    _a("job", "copy_command", "y", "Copy command", "Copy the job's exact command line to the clipboard",
       show=False),
    _a("job", "cancel", "c", "Cancel", "Cancel this job"),
    _a("job", "resubmit", "r", "Resubmit", "Resubmit this job"),
    # snapshots
    _a("snapshots", "back", "escape,q", "Back", "Back", palette=False),
    _a("snapshots", "gc", "x", "GC", "Remove old snapshot worktrees (asks first)"),
    _a("snapshots", "reload", "f5", "Reload", "Reload the snapshot list", show=False),
    _a("snapshots", "diff_base", "d", "Diff", "What the snapshot holds beyond the commit it was taken from: "
       "the uncommitted edits its jobs ran"),
    _a("snapshots", "diff_worktree", "w", "Diff now", "Your working tree now against this snapshot's code"),
    _a("snapshots", "mark", "space", "Mark", "Mark a snapshot to compare another with (D)", show=False),
    _a("snapshots", "diff_marked", "D", "Diff marked", "This snapshot against the marked one",
       show=False),
    # a diff (from the snapshots list)
    _a("diff", "back", "escape,q", "Back", "Back to the snapshots", palette=False),
    # launch
    _a("launch", "back", "escape", "Back", "Back", palette=False),
    _a("launch", "next_profile", "ctrl+o", "Profile", "Use the next executor profile"),
    _a("launch", "toggle_snapshot", "ctrl+s", "Snapshot", "Run on a snapshot or in the repository itself"),
    _a("launch", "launch", "ctrl+l", "Launch", "Launch the chosen sweep file (asks first)"),
    _a("launch", "edit", "ctrl+e", "Edit", "Edit the chosen sweep file in $EDITOR; the preview follows"),
    _a("launch", "script", "ctrl+t", "Script",
       "Preview the exact sbatch script of the first array (Slurm profiles), or the jobs again"),
]


def actions_for(scope: str) -> list[Action]:
    return [a for a in ACTIONS if a.scope == scope]


def bindings(scope: str, only: Iterable[str] | None = None, skip: Iterable[str] = ()) -> list:
    """Textual bindings of a scope, with ids for the keymap; `only` or `skip` some action names (a
    screen's keys split between the screen and a widget that holds the state they act on)."""
    from textual.binding import Binding

    wanted = None if only is None else set(only)
    unwanted = set(skip)
    return [Binding(a.keys, a.name, a.description, show=a.show, key_display=a.key_display, id=a.id,
                    priority=False, tooltip=a.help) for a in actions_for(scope)
            if (wanted is None or a.name in wanted) and a.name not in unwanted]


def dialog_bindings() -> list:
    """`?` in a dialog (a modal screen does not pass keys on to the app's bindings): its keys, as on a screen."""
    from textual.binding import Binding

    return [Binding(a.keys, f"app.{a.name}", a.description, key_display=a.key_display, id=a.id, tooltip=a.help)
            for a in actions_for("app") if a.name == "help"]


def expand_keymap(user: Mapping[str, str]) -> dict[str, str]:
    """A user keymap with short names ("cancel") expanded to every binding id of that name."""
    known = {a.id for a in ACTIONS}
    out: dict[str, str] = {}
    for key, keys in user.items():
        if key in known:
            out[key] = keys
        else:
            for action in ACTIONS:
                if action.name == key:
                    out.setdefault(action.id, keys)
    return out


def _keys(keys: str) -> list[str]:
    return [k.strip() for k in keys.split(",") if k.strip()]


def keymap_conflicts(expanded: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(binding id, key, id of the other binding it would take the key from) for each remap that collides.

    Two bindings collide when they can be active on the same screen (same scope, or one is app-wide)
    and end up sharing a key; Textual would silently let one win."""
    effective = {a.id: _keys(expanded.get(a.id, a.keys)) for a in ACTIONS}
    scope_of = {a.id: a.scope for a in ACTIONS}
    out = []
    for remapped, keys in expanded.items():
        if remapped not in effective:
            continue
        for key in _keys(keys):
            for other, other_keys in effective.items():
                if other == remapped or key not in other_keys:
                    continue
                if "app" in (scope_of[other], scope_of[remapped]) or scope_of[other] == scope_of[remapped]:
                    out.append((remapped, key, other))
    return out


def safe_keymap(expanded: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The keymap without its colliding entries, and one warning per refused entry naming both actions."""
    conflicts = keymap_conflicts(expanded)
    refused = {remapped for remapped, _, _ in conflicts}
    warnings = [f"[keymap] {remapped!r} = {key!r} not applied: {key!r} is already {other!r}; "
                f"remap {other!r} too to free it" for remapped, key, other in conflicts]
    return {k: v for k, v in expanded.items() if k not in refused}, warnings


def unknown_keymap_entries(user: Mapping[str, str]) -> list[str]:
    names = {a.name for a in ACTIONS} | {a.id for a in ACTIONS}
    return [k for k in user if k not in names]


def palette_actions(scopes: Iterable[str]) -> list[Action]:
    wanted = set(scopes)
    return [a for a in ACTIONS if a.scope in wanted and a.palette]
