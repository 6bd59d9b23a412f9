/**
 * Business time in the local cloud. Normally the functions read the real clock and only waits run
 * `timeScale` times faster (a one-day follow-up passes in a minute). A fast-forward clock instead
 * moves the whole cloud through a past period: the functions, the workflows' waits and the SES
 * events all read a virtual time that starts at `from`, runs `scale` times faster until it reaches
 * `until`, and from then on runs at real speed. That is how `npm run demo` fits a month of sales
 * into a minute and leaves a dashboard whose days are the last thirty.
 */

/**
 * A fast-forward clock as data that crosses into each Lambda worker, which computes the same time.
 * Its real start is a cell of shared memory: the cloud starts the clock once it is up (a month at
 * 43,200x would otherwise lose days to the start-up), and every worker sees it at once.
 */
export interface FastForward {
  /** Real epoch ms at which virtual time was `from`, in a Float64Array over a SharedArrayBuffer; NaN until started (time stands at `from`). */
  realStart: Float64Array;
  /** Virtual epoch ms at the start. */
  from: number;
  /** Virtual epoch ms from which virtual time runs at real speed. */
  until: number;
  /** Virtual ms per real ms before `until`. */
  scale: number;
}

export interface LocalClock {
  /** Virtual now, epoch ms. */
  now(): number;
  /** Real ms until the virtual instant `at` (0 if it has passed). */
  realMsUntil(at: number): number;
  /** Real ms that `ms` of business time takes from now. */
  realMsFor(ms: number): number;
  /** Present when the clock is virtual: what the workers need to read the same time. */
  readonly fastForward?: FastForward;
  /** Starts a fast-forward clock (a scaled one runs from the outset). */
  start(): void;
}

/** The default: real time, business waits `timeScale` times faster. */
export function scaledClock(timeScale: number): LocalClock {
  return {
    now: () => Date.now(),
    realMsUntil: (at) => Math.max(0, at - Date.now()) / timeScale,
    realMsFor: (ms) => ms / timeScale,
    start: () => {},
  };
}

/** Virtual time at real time `real` (the formula the Lambda worker repeats, local/lambda-worker.mjs). */
export function virtualTimeAt(clock: FastForward, real: number): number {
  const realStart = clock.realStart[0] ?? Number.NaN;
  if (Number.isNaN(realStart)) return clock.from;
  const fastRealMs = (clock.until - clock.from) / clock.scale;
  const elapsed = real - realStart;
  return elapsed <= fastRealMs ? clock.from + elapsed * clock.scale : clock.until + (elapsed - fastRealMs);
}

/** The real time at which virtual time reaches `at` (counted from now while the clock has not started). */
function realTimeOf(clock: FastForward, at: number): number {
  const realStart = Number.isNaN(clock.realStart[0] ?? Number.NaN) ? Date.now() : (clock.realStart[0] ?? Date.now());
  if (at <= clock.until) return realStart + (at - clock.from) / clock.scale;
  return realStart + (clock.until - clock.from) / clock.scale + (at - clock.until);
}

export function fastForwardClock(options: { from: Date; until: Date; scale: number }): LocalClock {
  if (!(options.scale >= 1) || !Number.isFinite(options.scale))
    throw new RangeError(`a fast-forward scale must be at least 1, not ${options.scale}`);
  if (!(options.from.getTime() <= options.until.getTime())) throw new RangeError('a fast-forward clock must start before it slows down');
  const fastForward: FastForward = {
    realStart: new Float64Array(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT)).fill(Number.NaN),
    from: options.from.getTime(),
    until: options.until.getTime(),
    scale: options.scale,
  };
  const now = () => virtualTimeAt(fastForward, Date.now());
  return {
    now,
    realMsUntil: (at) => Math.max(0, realTimeOf(fastForward, at) - Date.now()),
    realMsFor: (ms) => Math.max(0, realTimeOf(fastForward, now() + ms) - Date.now()),
    fastForward,
    start: () => {
      if (Number.isNaN(fastForward.realStart[0] ?? Number.NaN)) fastForward.realStart[0] = Date.now();
    },
  };
}
