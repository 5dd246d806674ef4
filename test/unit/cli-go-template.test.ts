import { describe, expect, it } from 'vitest';
import { renderRows, renderTemplate } from '../../src/cli/go-template.js';

describe('--format Go templates (docker subset)', () => {
  const row = { Name: 'p-web-1', Health: 'healthy', Status: 'Up 5 seconds (healthy)', RunningFor: '5 seconds ago' };

  it('renders fields, json and escapes per row', () => {
    expect(renderTemplate('{{.Name}} {{.Health}}', row)).toBe('p-web-1 healthy');
    expect(renderTemplate('{{json .Health}}', row)).toBe('"healthy"');
    expect(renderRows('{{.Name}}\\t{{.Status}}', [row, { ...row, Name: 'p-web-2' }])).toBe('p-web-1\tUp 5 seconds (healthy)\np-web-2\tUp 5 seconds (healthy)\n');
  });

  it('"table TEMPLATE" adds a header of the field names in capitals', () => {
    expect(renderRows('table {{.Name}}\\t{{.RunningFor}}', [row])).toBe('NAME\tRUNNING FOR\np-web-1\t5 seconds ago\n');
  });
});
