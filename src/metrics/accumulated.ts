// Instruments for the hot paths (every request, every token issued).
// prom-client's own hash their label values on every call, even through a
// child made by .labels(): 0.35 µs an increment and 0.5 µs an observation,
// measured, or 1 µs a request for a counter and a histogram, 1–2% of the
// token endpoint. Here a set of label values is resolved once to a cell of
// plain numbers, which the hot path bumps, and the cells are read into the
// registry only when it is scraped.
import { Counter, Histogram, type Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string>;

const keyOf = (values: readonly string[]): string => values.join('\u0000');

export class CountCell {
  value = 0;
  inc(): void {
    this.value++;
  }
}

/** A counter whose label sets are resolved once (cell()); each increment is then an addition. */
export class AccumulatedCounter<L extends string> {
  readonly #labelNames: readonly L[];
  readonly #cells = new Map<string, { labels: Labels<L>; cell: CountCell }>();

  constructor(registry: Registry, config: { name: string; help: string; labelNames: readonly L[] }) {
    this.#labelNames = config.labelNames;
    const cells = this.#cells;
    new Counter<L>({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames,
      registers: [registry],
      // The cells hold running totals: the counter is rebuilt from them at each scrape.
      collect() {
        this.reset();
        for (const { labels, cell } of cells.values()) this.inc(labels, cell.value);
      },
    });
  }

  /** The cell for these label values: resolve it once, outside the hot path if you can. */
  cell(labels: Labels<L>): CountCell {
    const key = keyOf(this.#labelNames.map((name) => labels[name]));
    let entry = this.#cells.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, cell: new CountCell() };
      this.#cells.set(key, entry);
    }
    return entry.cell;
  }
}

/** Observations of one label set: a count, a sum and a count per bucket (not cumulative). */
export class TimingCell {
  count = 0;
  sum = 0;
  readonly #bounds: readonly number[];
  readonly buckets: number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.buckets = bounds.map(() => 0);
  }

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        this.buckets[i]!++;
        return;
      }
    }
  }
}

export interface TimingEntry<L extends string> {
  labels: Labels<L>;
  cell: TimingCell;
}

type HistogramData<L extends string> = Awaited<ReturnType<Histogram<L>['get']>>;

/**
 * The registry's view of a set of timing cells: a prom-client Histogram
 * whose samples are read from the cells (get() is its documented output;
 * getForPromString() is what prom-client 15's registry calls when present).
 * Nothing observes it directly.
 */
class CellHistogram<L extends string> extends Histogram<L> {
  readonly #config: { name: string; help: string; buckets: readonly number[] };
  readonly #entries: () => Iterable<TimingEntry<L>>;

  constructor(registry: Registry, config: { name: string; help: string; labelNames: readonly L[]; buckets: readonly number[] }, entries: () => Iterable<TimingEntry<L>>) {
    super({ name: config.name, help: config.help, labelNames: config.labelNames, buckets: [...config.buckets], registers: [registry] });
    this.#config = config;
    this.#entries = entries;
  }

  override async get(): Promise<HistogramData<L>> {
    const { name, help, buckets } = this.#config;
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const { labels, cell } of this.#entries()) {
      let cumulative = 0;
      for (let i = 0; i < buckets.length; i++) {
        cumulative += cell.buckets[i]!;
        values.push({ labels: { ...labels, le: buckets[i]! }, value: cumulative, metricName: `${name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: cell.count, metricName: `${name}_bucket` });
      values.push({ labels, value: cell.sum, metricName: `${name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${name}_count` });
    }
    // prom-client's typings give `type` as a numeric enum that does not exist at
    // run time (its registry writes the string), and ask for a collect(): hence the cast.
    return { name, help, type: 'histogram', aggregator: 'sum', values } as unknown as HistogramData<L>;
  }

  getForPromString(): ReturnType<CellHistogram<L>['get']> {
    return this.get();
  }
}

/** A histogram whose label sets are resolved once (cell()); each observation is then a few additions. */
export class AccumulatedHistogram<L extends string> {
  readonly #labelNames: readonly L[];
  readonly #buckets: readonly number[];
  readonly #cells = new Map<string, TimingEntry<L>>();

  constructor(registry: Registry, config: { name: string; help: string; labelNames: readonly L[]; buckets: readonly number[] }) {
    this.#labelNames = config.labelNames;
    this.#buckets = config.buckets;
    new CellHistogram(registry, config, () => this.#cells.values());
  }

  cell(labels: Labels<L>): TimingCell {
    const key = keyOf(this.#labelNames.map((name) => labels[name]));
    let entry = this.#cells.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, cell: new TimingCell(this.#buckets) };
      this.#cells.set(key, entry);
    }
    return entry.cell;
  }

  entries(): Iterable<TimingEntry<L>> {
    return this.#cells.values();
  }
}
