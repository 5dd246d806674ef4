/**
 * docker/go-units HumanSize: decimal units with `digits` significant digits. `docker images` shows 3
 * ("4.26MB"); volume and prune reports show 4 ("12.35MB").
 */
export function humanSize(bytes: number, digits = 4): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(digits))}${units[i]}`;
}
