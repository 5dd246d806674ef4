/**
 * The host-wide record of who needs ip_forward on (/run/tscompose/host/ip_forward.json). Pure: the
 * manager reads and writes the file and checks the nft tables, under the host lock.
 *
 * A holder is `hash(root):project`. Each holder also records the name of its project's nft table, made in
 * the same nft transaction as the hold: a holder whose table is gone holds nothing any more (its root was
 * removed while its networks stood and something deleted the table, or a process was killed between writing
 * the record and running nft), and is dropped when another project lets go. Holders written before the
 * table was recorded cannot be checked and are kept.
 */
export interface ForwardRecord {
  /** ip_forward before the first holder turned it on; restored when the last holder lets go. */
  original: string;
  holders: string[];
  /** holder -> its project's nft table */
  tables?: Record<string, string>;
}

export function parseForwardRecord(text: string): ForwardRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<ForwardRecord>;
    if (typeof r.original !== 'string' || !Array.isArray(r.holders)) return undefined;
    const tables = r.tables && typeof r.tables === 'object' ? r.tables : undefined;
    return { original: r.original, holders: r.holders.filter((h): h is string => typeof h === 'string'), ...(tables ? { tables } : {}) };
  } catch {
    return undefined;
  }
}

export function addHolder(rec: ForwardRecord, me: string, table: string): ForwardRecord {
  return { ...rec, holders: rec.holders.includes(me) ? rec.holders : [...rec.holders, me], tables: { ...rec.tables, [me]: table } };
}

/** The nft tables of the holders other than `me` whose existence decides whether they still hold. */
export function tablesToCheck(rec: ForwardRecord, me: string): string[] {
  return [...new Set(rec.holders.filter((h) => h !== me && rec.tables?.[h]).map((h) => rec.tables![h]!))];
}

/** The record once `me` and every holder whose table is in `goneTables` let go. */
export function removeHolders(rec: ForwardRecord, me: string, goneTables: ReadonlySet<string>): ForwardRecord {
  const keep = rec.holders.filter((h) => h !== me && !(rec.tables?.[h] !== undefined && goneTables.has(rec.tables[h]!)));
  const tables: Record<string, string> = {};
  for (const h of keep) if (rec.tables?.[h] !== undefined) tables[h] = rec.tables[h]!;
  return { original: rec.original, holders: keep, ...(Object.keys(tables).length ? { tables } : {}) };
}
