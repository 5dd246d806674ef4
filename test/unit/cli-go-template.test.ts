import { describe, expect, it } from 'vitest';
import { renderRows, renderTemplate } from '../../src/cli/go-template.js';

describe('--format Go templates (docker subset)', () => {
  const row = { Name: 'p-web-1', Health: 'healthy', Status: 'Up 5 seconds (healthy)', RunningFor: '5 seconds ago' };

  it('renders fields, json and escapes per row', () => {
    expect(renderTemplate('{{.Name}} {{.Health}}', row)).toBe('p-web-1 healthy');
    expect(renderTemplate('{{json .Health}}', row)).toBe('"healthy"');
    expect(renderRows('{{.Name}}\\t{{.Status}}', [row, { ...row, Name: 'p-web-2' }])).toBe('p-web-1\tUp 5 seconds (healthy)\np-web-2\tUp 5 seconds (healthy)\n');
  });

  it('"table TEMPLATE" adds a header (the verb\'s titles, else the field in capitals) and aligns columns as Docker\'s tabwriter', () => {
    expect(renderRows('table {{.Name}}\\t{{.RunningFor}}', [row], { RunningFor: 'CREATED' })).toBe('NAME      CREATED\np-web-1   5 seconds ago\n');
    expect(renderRows('table {{.Name}}\\t{{.Health}}\\t{{.Status}}', [{ ...row, Name: 'a-very-long-name-1' }])).toBe(
      'NAME                 HEALTH    STATUS\na-very-long-name-1   healthy   Up 5 seconds (healthy)\n',
    );
  });

  it('functions, pipelines and methods with arguments, as Docker\'s templates', () => {
    const r = { ...row, Labels: { b: '2', a: '1' }, Names: ['x', 'y'], Label: (k: unknown) => (k === 'a' ? 'one' : '') };
    expect(renderTemplate('{{upper .Name}} {{.Name | upper}} {{lower "AB"}} {{title "hello world"}}', r)).toBe('P-WEB-1 P-WEB-1 ab Hello World');
    expect(renderTemplate('{{.Label "a"}}|{{index .Labels "b"}}|{{join .Names ","}}|{{truncate .Name 3}}|{{.Labels}}|{{json .Labels}}', r)).toBe('one|2|x,y|p-w|map[a:1 b:2]|{"b":"2","a":"1"}');
    expect(renderTemplate('{{.Missing}}', r)).toBe('<no value>');
    expect(() => renderTemplate('{{range .Names}}{{.}}{{end}}', r)).toThrow(/not supported/);
    expect(() => renderTemplate('{{nosuch .Name}}', r)).toThrow(/function "nosuch" not defined/);
  });
});
