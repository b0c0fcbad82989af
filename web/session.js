// The editing session: owns the core's engine and open Project and runs every
// call into them through one queue. The core refuses calls while a GPU render
// or a resample holds the document, so nothing touches the project outside a
// queued job: edits, renders, reads for exports and autosave all take their
// turn. Renders are coalesced: any number of edits queued meanwhile cause one
// more render after them.

/** The CPU engine's render band, in pixels (see `renderInBands`). */
const BAND_PIXELS = 1 << 20;

function unionOf(a, b) {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

/**
 * @param {{ onRender: (project: object, rect: object, ms: number | null) => void,
 *   onRenderError: (error: Error) => void, onChange: (info: { kind: string }) => void }} hooks
 *   `onRender` puts a rendered rectangle on screen (`ms` null: one band of a
 *   render in progress; then the whole area once more with the time taken); `onChange` runs inside the
 *   queue after every edit, so it may read the project.
 */
export function createSession({ onRender, onRenderError, onChange, presentingView = () => null }) {
  let tail = Promise.resolve();
  let pending = 0;
  let idleWaiters = [];
  let renderWanted = false;
  let renderQueued = false;
  /** True while a job's core call is in flight (the core refuses other calls then). */
  let held = false;

  const state = {
    engine: null,
    /** The open document (the core's Project), or null. */
    project: null,
    /** File name the document came from (for downloads). */
    name: '',
    /** What the first history row says (the state before any entry). */
    origin: '',
    activeId: null,
    /** History entries dropped before this document opened (not news). */
    droppedBase: 0,
    /** What a recovery could not bring back of the saved history ({ notKept, damaged }), or null. */
    recoveredHistory: null,
    /** The history steps the last autosave kept ({ first, leftOut }), or null before one. */
    autosavedHistory: null,
    /** Most bytes of history the autosave keeps (null: the core's default). */
    autosaveHistoryBudget: null,
    /** Why the last render failed, or null. */
    error: null,
  };

  /** Runs `job` after every job queued before it; resolves or rejects with its result. */
  function enqueue(job) {
    pending++;
    const run = tail.then(job);
    tail = run.then(done, done);
    return run;
  }

  function done() {
    pending--;
    if (pending > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once nothing is queued or running. */
  function idle() {
    if (pending === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  function requireProject() {
    if (!state.project) throw new Error('open an image first');
    return state.project;
  }

  function requireEngine() {
    if (!state.engine) throw new Error('the engine is not ready');
    return state.engine;
  }

  /** Asks for a render after whatever is queued now; resolves when the session is idle. */
  function requestRender() {
    renderWanted = true;
    if (!renderQueued) {
      renderQueued = true;
      enqueue(async () => {
        renderQueued = false;
        if (!renderWanted) return;
        renderWanted = false;
        await renderOnce();
      });
    }
    return idle();
  }

  /** Awaits `fn()` with the core marked as held. */
  async function holding(fn) {
    held = true;
    try {
      return await fn();
    } finally {
      held = false;
    }
  }

  /**
   * The CPU engine recomposes a large change band by band (about a megapixel,
   * some 100 ms each in the page), showing each band and letting the page
   * handle input between them: opening a 12 MP photo no longer blocks it
   * for the whole first render. Returns the union of the bands, or null.
   */
  async function renderInBands(project) {
    let union = null;
    for (;;) {
      const band = await holding(() => project.renderCpuBand(BAND_PIXELS));
      if (!band) return union;
      if (band.width > 0 && band.height > 0) {
        onRender(project, band, null);
        union = union ? unionOf(union, band) : band;
      }
      if (!band.more) return union;
      await new Promise((resolve) => setTimeout(resolve, 0));
      // Closed or replaced meanwhile: the next render (if any) starts afresh.
      if (state.project !== project) return null;
    }
  }

  async function renderOnce() {
    const { engine, project } = state;
    if (!engine || !project) return;
    const started = performance.now();
    try {
      // On the GPU the composite is presented from there when the view can (no
      // read-back); asked on every render, so the page can leave that view too.
      const view = presentingView(project);
      let rect;
      let presented = false;
      if (engine.backend === 'cpu') rect = await renderInBands(project);
      else if (view) ({ rect, presented } = await holding(() => project.renderTo(view)));
      else rect = await holding(() => project.render(engine));
      state.error = null;
      if (rect && rect.width > 0 && rect.height > 0) onRender(project, rect, performance.now() - started, presented);
    } catch (error) {
      state.error = error instanceof Error ? error : new Error(String(error));
      onRenderError(state.error);
    }
  }

  /** Tells the page what changed (from inside the queue) and renders after it. */
  function changed(kind) {
    onChange({ kind });
    requestRender();
  }

  return {
    state,
    requireProject,
    requireEngine,
    idle,
    requestRender,
    /** Whether a core call is in flight (a render or resample): reads now would be refused. */
    get busy() {
      return held;
    },

    /**
     * Changes the open document: `fn(project, engine)` runs in the queue (it may be
     * asynchronous: Image Size holds the document while the engine works); then the
     * page refreshes, a render follows, and the result of `fn` is returned.
     */
    edit(fn, { kind = 'edit' } = {}) {
      return enqueue(async () => {
        const project = requireProject();
        try {
          return await holding(() => fn(project, state.engine));
        } finally {
          if (project === state.project) changed(kind);
        }
      });
    },

    /** Reads the open document in the queue (exports, autosave, snapshots): no change, no render. */
    read(fn) {
      return enqueue(() => holding(() => fn(requireProject(), state.engine)));
    },

    /** Runs `fn()` in the queue with no document required (opening files, start-up). */
    run(fn) {
      return enqueue(fn);
    },

    /**
     * Replaces the open document (null closes it). Call from inside a queued job.
     * `meta`: { name, origin, activeId, recoveredHistory }.
     */
    replaceProject(project, { name = '', origin = '', activeId = null, recoveredHistory = null } = {}) {
      state.project?.free();
      state.project = project;
      state.name = name;
      state.origin = origin;
      state.recoveredHistory = recoveredHistory;
      state.autosavedHistory = null;
      if (project && state.autosaveHistoryBudget !== null) project.setAutosaveHistoryBudget(state.autosaveHistoryBudget);
      state.error = null;
      const layers = project ? project.layers() : [];
      state.activeId = layers.some((l) => l.id === activeId) ? activeId : layers.at(-1)?.id ?? null;
      state.droppedBase = project ? project.history().droppedTotal : 0;
      changed('document');
    },

    /** Swaps the engine (from inside a queued job) and renders with it. */
    replaceEngine(engine) {
      const old = state.engine;
      state.engine = engine;
      if (old && old !== engine) {
        // Its GPU memory goes now, not when the collector gets to it.
        old.releaseGpu();
        old.free();
      }
      requestRender();
    },
  };
}
