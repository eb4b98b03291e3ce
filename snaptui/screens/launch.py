"""Launch a sweep: pick a sweep file of the repository, choose the profile, see the dry run, confirm."""
from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, OptionList, Select, Static
from textual.widgets.option_list import Option

from snaptui.display import actions
from snaptui.format import jobs_phrase
from snaptui.display.dialogs import Confirmation
from snaptui.widgets.footer import SnaptuiFooter
from snaptui.widgets.lists import FileList
from snaptui.engine.errors import SnaptuiError
from snaptui.engine.api import files_git_would_add
from .base import EngineScreen, describe_error

NOT_SWEEPS = {"snaptui.toml", "pyproject.toml", "Cargo.toml", "poetry.lock", "uv.toml", "ruff.toml"}
PREVIEW_JOBS = 30
WATCH_INTERVAL = 1.0


def sweep_files(repo_root: Path) -> list[str]:
    """*.toml files git knows of or would add (tracked or untracked, not ignored), minus config files."""
    names = files_git_would_add(repo_root, "*.toml", timeout=30)
    if names is None:
        names = [str(p.relative_to(repo_root)) for p in repo_root.glob("*.toml")]
    return sorted({n for n in names if Path(n).name not in NOT_SWEEPS and not n.startswith(".snaptui")})


def file_stamp(path: Path) -> str | None:
    """What identifies a version of the file: its content's digest (mtime alone misses fast edits)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class LaunchScreen(EngineScreen):
    SCOPE = "launch"
    BINDINGS = actions.bindings("launch")
    AUTO_FOCUS = "#files"

    def __init__(self, profile: str | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.plan = None
        self.file: str | None = None
        self._planned_stamp: str | None = None   # the file as last planned (or found unplannable)
        self._planned_settings: str | None = None   # snaptui.toml as last planned with
        self._plan_digest: str | None = None     # the file as the plan shown describes it
        self._planning = False                    # a dry run is under way
        self._launch_when_planned = False         # launch was asked for while it ran
        self.show_script = False                  # the preview shows the sbatch script instead of the jobs

    def compose(self) -> ComposeResult:
        yield Static(Text("launch a sweep", style="bold") + Text("  pick a sweep file, check the jobs, launch",
                                                                   style="dim"), classes="title-bar")
        with Horizontal(id="launch-body"):
            yield FileList(id="files")
            with Vertical(id="launch-side"):
                profiles = sorted(self.engine.profiles)
                yield Select([(p, p) for p in profiles], prompt="profile: the sweep file's", id="profile",
                             value=self.profile if self.profile in profiles else Select.NULL, allow_blank=True)
                with Horizontal(id="launch-options"):
                    yield Checkbox("snapshot", True, id="snapshot")
                    yield Button("Launch", id="launch", variant="primary", disabled=True)
                with VerticalScroll(id="launch-preview"):
                    yield Static("Pick a sweep file on the left.", id="preview")
        yield SnaptuiFooter()

    def on_mount(self) -> None:
        self._names: list[str] | None = None
        self._relist()
        self.set_interval(WATCH_INTERVAL, self._watch, name="sweep file watcher")

    def _relist(self) -> None:
        if not self.reading("files"):   # a slow disk: skip a tick rather than pile up listings
            self._list_files()

    @work(thread=True, exit_on_error=False, group="files", name="sweep files", description="list sweep files")
    def _list_files(self) -> None:
        self.hand_back(self._listed, sweep_files(self.engine.repo_root))

    def _watch(self) -> None:
        """Files created or removed are listed; the chosen file or snaptui.toml, edited elsewhere, is planned
        again (the engine reads snaptui.toml afresh when it changed: the preview is what --dry-run says)."""
        self._relist()
        if self.file and self._planned_stamp is not None and (file_stamp(self._path) != self._planned_stamp
                                                              or self._settings_stamp() != self._planned_settings):
            self._replan()

    def _settings_stamp(self) -> str | None:
        return file_stamp(self.engine.config_file or self.engine.repo_root / "snaptui.toml")

    @property
    def _path(self) -> Path:
        return self.engine.repo_root / self.file

    def _listed(self, names: list[str]) -> None:
        if names == self._names:
            return
        self._names = names
        files = self.query_one("#files", OptionList)
        keep = self.file
        files.clear_options()
        files.add_options([Option(name, id=name) for name in names])
        if keep in names:
            files.highlighted = names.index(keep)
            return
        if not names:
            self.query_one("#preview", Static).update(Text(
                "No sweep file (*.toml) in this repository. Write one, e.g. sweep.toml:\n\n"
                'name = "lr"\ncommand = ["python", "train.py"]\n[grid]\nlr = [0.1, 0.01]'))
        else:
            files.highlighted = 0

    # -- the dry run -------------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id == self.file and self._planned_stamp is not None \
                and file_stamp(self._path) == self._planned_stamp:
            return   # the list was refreshed around the same, unchanged file: its plan stands
        self.file = event.option.id
        self._replan()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.file = event.option.id
        self.query_one("#launch", Button).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.profile = None if event.value is Select.NULL else str(event.value)
        self._replan()

    def on_checkbox_changed(self, _event) -> None:
        self._replan()

    def _replan(self) -> None:
        if not self.file:
            return
        path = self._path
        no_snapshot = not self.query_one("#snapshot", Checkbox).value
        self.plan = None
        self._planning = True
        self._planned_stamp = file_stamp(path)   # watched: an edit elsewhere plans again
        self._planned_settings = self._settings_stamp()
        self.query_one("#launch", Button).disabled = True
        self._dry_run(path, self.profile, no_snapshot)

    @work(thread=True, exit_on_error=False, group="plan", exclusive=True, name="dry run", description="dry run")
    def _dry_run(self, path: Path, profile: str | None, no_snapshot: bool) -> None:
        """A bad sweep file is shown in the preview, not as a notification on every keystroke. Only the
        latest dry run answers: a newer one cancels this worker (exclusive), and hand_back drops a
        cancelled one's answer."""
        try:
            while True:   # the plan and the stamp must describe the same content of the file
                before = file_stamp(path)
                plan = self.engine.plan(path, profile=profile, no_snapshot=no_snapshot)
                if file_stamp(path) == before:
                    break
        except BaseException as exc:  # noqa: BLE001 - shown in the preview
            self.hand_back(self._plan_failed, path, exc)
            return
        self.hand_back(self._planned, plan, before)

    def _planned(self, plan, stamp: str | None) -> None:
        self.plan, self._planned_stamp, self._plan_digest = plan, stamp, stamp
        self._planning = False
        self.query_one("#launch", Button).disabled = plan.refusal is not None   # what --dry-run refuses
        self._show_plan()
        if self._launch_when_planned:
            self._launch_when_planned = False
            self.action_launch()

    def _plan_failed(self, path: Path, exc: BaseException) -> None:
        self._planning = self._launch_when_planned = False
        self._planned_stamp = file_stamp(path)
        self.query_one("#preview", Static).update(Text(describe_error(exc, self.engine.repo_root), style="bold red"))

    def _show_plan(self) -> None:
        """The plan's jobs, or (ctrl+t) the sbatch script a launch would submit, read off the UI thread:
        its array size may ask the cluster for MaxArraySize."""
        plan = self.plan
        if plan is None:
            return
        if not self.show_script:
            self.query_one("#preview", Static).update(self._describe(plan))
        elif plan.refusal is not None:   # as --dry-run --script: no script for what cannot launch
            self.query_one("#preview", Static).update(self._refused(plan))
        else:
            self.query_one("#preview", Static).update(Text("writing the sbatch script…", style="dim"))
            self._write_script(plan)

    @work(thread=True, exit_on_error=False, group="script", exclusive=True, name="sbatch script",
          description="write the sbatch script")
    def _write_script(self, plan) -> None:
        try:
            script: str | None | BaseException = self.engine.submission_script(plan)
        except BaseException as exc:  # noqa: BLE001 - shown in the preview
            script = exc
        self.hand_back(self._script_written, plan, script)

    def _script_written(self, plan, script: str | None | BaseException) -> None:
        if plan is not self.plan or not self.show_script:
            return   # planned again, or back to the jobs, meanwhile
        config = plan.config
        if isinstance(script, BaseException):
            text = Text(describe_error(script, self.engine.repo_root), style="bold red")
        elif script is None:
            text = Text(f"profile {config.profile_name} runs jobs with the {config.executor} executor, as "
                        f"processes: no sbatch script. ctrl+t: the jobs again.")
        else:
            text = Text(f"{plan.spec.name}: the sbatch script of the first array, as a launch would submit it "
                        f"(profile {config.profile_name}; --dry-run --script prints it). ctrl+t: the jobs again.\n\n",
                        style="dim")
            text.append(script)
        self.query_one("#preview", Static).update(text)

    def _refused(self, plan) -> Text:
        text = Text("cannot launch: ", style="bold red")
        text.append(f"{describe_error(plan.refusal, self.engine.repo_root)}\n\n", style="red")
        return text

    def _describe(self, plan) -> Text:
        spec, config = plan.spec, plan.config
        text = self._refused(plan) if plan.refusal is not None else Text()
        text.append(f"{spec.name}", style="bold")
        text.append(f": {jobs_phrase(len(plan.jobs))} on {config.executor} (profile {config.profile_name})\n")
        text.append("snapshot: " + ("a new branch and worktree of your code as it is now\n" if config.snapshot.enabled
                                    else "none: jobs run in the repository itself\n"), style="dim")
        if len(plan.jobs) > config.limits.max_jobs:
            text.append(f"more than limits.max_jobs = {config.limits.max_jobs}: launching asks for confirmation\n",
                        style="bold")
        if plan.preview is not None and plan.preview.linked:   # data and ignored paths linked, not copied
            text.append("\n".join(plan.preview.describe()[1:]) + "\n", style="dim")
        settings = ", ".join(f"{k}={v}" for k, v in config.chosen_settings().items() if k != "executor")
        if settings:
            text.append(f"{settings}\n", style="dim")
        for note in plan.notes:  # e.g. the run dir each job of a Hydra app gets
            text.append(f"note: {note}\n", style="dim")
        text.append("\n")
        for job in plan.jobs[:PREVIEW_JOBS]:
            text.append(f"{job.index:>4} ", style="dim")
            text.append(f"{job.label}\n", style="bold")
            text.append(f"     {shlex.join(job.argv)}\n", style="dim")
        if len(plan.jobs) > PREVIEW_JOBS:
            text.append(f"… and {len(plan.jobs) - PREVIEW_JOBS} more jobs\n", style="dim")
        return text

    # -- actions -----------------------------------------------------------------------------
    def action_next_profile(self) -> None:
        profiles = sorted(self.engine.profiles)
        if profiles:
            position = profiles.index(self.profile) + 1 if self.profile in profiles else 0
            self.query_one("#profile", Select).value = profiles[position % len(profiles)]

    def action_edit(self) -> None:
        from .external import open_in_editor

        open_in_editor(self.app, self._path if self.file else None)
        if self.file:
            self._replan()   # the watcher would too, a second later

    def action_script(self) -> None:
        """Between the jobs a launch would start and the sbatch script it would submit (Slurm profiles)."""
        if self.plan is None:
            self.notify("no plan to show yet: pick a sweep file that plans", severity="warning", timeout=4)
            return
        self.show_script = not self.show_script
        self._show_plan()

    def action_toggle_snapshot(self) -> None:
        box = self.query_one("#snapshot", Checkbox)
        box.value = not box.value

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "launch":
            event.stop()
            self.action_launch()

    def action_launch(self) -> None:
        plan = self.plan
        if plan is None and self._planning:
            self._launch_when_planned = True
            self.notify(f"checking {self.file}; the launch dialog opens when its jobs are known")
            return
        if plan is None:
            self.notify("pick a valid sweep file first", severity="warning")
            return
        if plan.refusal is not None:
            self.notify(describe_error(plan.refusal, self.engine.repo_root), title="cannot launch", severity="error")
            return
        over = len(plan.jobs) > plan.config.limits.max_jobs
        body = f"{jobs_phrase(len(plan.jobs))} on {plan.config.executor} (profile {plan.config.profile_name})" + \
            (", with a snapshot of your code" if plan.config.snapshot.enabled else ", without a snapshot") + \
            (f"\nThat is more than limits.max_jobs = {plan.config.limits.max_jobs}." if over else "")

        path, stamp = self._path, self._plan_digest

        def launch():
            if file_stamp(path) != stamp:   # edited while the dialog was open: never launch a stale list
                raise SnaptuiError(f"{self.file} changed since its preview; nothing was launched. "
                                   "Check the new preview and launch again.")
            return self.engine.launch(plan, yes=over)

        notes_before = len(plan.notes)

        def start() -> None:
            self.query_one("#launch", Button).disabled = True
            self.query_one("#preview", Static).update("launching…")
            self.snaptui.command("launch", launch, done=lambda sweep: self._launched(sweep, plan.notes[notes_before:]),
                                 failed=self._launch_failed, caller=self, tell=False)

        self.snaptui.confirm(Confirmation(f"Launch {plan.spec.name}?", body, yes="Launch", no="Not now", danger=False),
                             start)

    def _launch_failed(self, exc: BaseException) -> None:
        """Said in a dialog that stays until dismissed (a toast faded before it was read), and planned again:
        the preview then shows what the dry run finds now."""
        self.snaptui.confirm(Confirmation("The launch failed", describe_error(exc, self.engine.repo_root), yes="OK",
                                          no=None), lambda: None)
        self._replan()

    def _launched(self, sweep, notes: list[str]) -> None:
        self.notify(f"launched sweep {sweep.id} {sweep.name}: {jobs_phrase(sweep.total)}")
        for warning in (sweep.snapshot or {}).get("warnings", []):
            self.notify(warning, title="snapshot", severity="warning", timeout=15)
        for note in notes:   # e.g. the push to the remote going on in the background
            self.notify(note, title="note", timeout=10)
        self.snaptui.poll_now()
        self.app.pop_screen()
        self.snaptui.open_sweep(sweep.id)
