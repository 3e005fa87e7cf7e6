import { describe, expect, it } from 'vitest';
import { parseCsvBatch, isCoreError } from '@kiln/core';

const defaults = { project_id: 'td', asset_type: '2D_SPRITE', style: 'pixel art', platform: 'MOBILE' } as const;

describe('CSV batches', () => {
  it('parses RFC 4180: BOM, quoted commas, doubled quotes, line breaks in fields, CRLF', () => {
    const csv = '\uFEFFname,core_concept,details,variant\r\narcher,"archer unit, elite","a ""blue"" cloak\nand bow",blue\r\nknight,knight,,red\r\n';
    const batch = parseCsvBatch({ csv, defaults, template: '{core_concept}, {style} style, {details|game asset}' });
    expect(batch.columns).toEqual(['name', 'core_concept', 'details', 'variant']);
    expect(batch.items).toHaveLength(2);
    expect(batch.items[0]?.request.prompt.details).toBe('a "blue" cloak\nand bow');
    expect(batch.preview(5)).toEqual([
      expect.objectContaining({ row: 1, name: 'archer', prompt: 'archer unit, elite, pixel art style, a "blue" cloak and bow' }),
      expect.objectContaining({ row: 2, name: 'knight', prompt: 'knight, pixel art style, game asset' }),
    ]);
    expect(batch.items[1]?.line).toBe(4);
    expect(batch.preview(1)).toHaveLength(1);
  });

  it('has a stable id: re-importing the same file gives the same batch', () => {
    const csv = 'core_concept\ncrate\n';
    expect(parseCsvBatch({ csv, defaults }).id).toBe(parseCsvBatch({ csv: new TextEncoder().encode(csv), defaults }).id);
    expect(parseCsvBatch({ csv: 'core_concept\nbarrel\n', defaults }).id).not.toBe(parseCsvBatch({ csv, defaults }).id);
  });

  it('validates required columns up front, naming them and what needs them', () => {
    expect(() => parseCsvBatch({ csv: 'name,biome\nx,y\n', template: '{core_concept} in {biome} at {time}', defaults })).toThrow(
      'csv: missing columns core_concept, time (needed by asset request field core_concept, template {time}); found name, biome. Add the column or give it in defaults.',
    );
  });

  it('reports bad rows with row, line and column, all at once', () => {
    const csv = 'core_concept,platform,poly_count_budget\ntree,MOBILE,\nrock,TV,\nhouse,PC,lots\n';
    try {
      parseCsvBatch({ csv, defaults: { ...defaults, platform: undefined } as never });
      expect.unreachable();
    } catch (error) {
      expect(isCoreError(error, 'csv_row_invalid')).toBe(true);
      expect((error as Error).message).toMatch(/^csv: 2 invalid values: row 2 \(line 3\), column platform: must be one of MOBILE, PC, CONSOLE; got "TV"; row 3 \(line 4\), column poly_count_budget: must be an integer/);
    }
  });

  it('rejects malformed CSV with the line', () => {
    expect(() => parseCsvBatch({ csv: 'core_concept,details\n"tree,x\n', defaults })).toThrow(/csv: .*Quote Not Closed/i);
    expect(() => parseCsvBatch({ csv: 'core_concept,details\ntree,x,extra\n', defaults })).toThrow(/csv: .*Invalid Record Length/i);
    expect(() => parseCsvBatch({ csv: '', defaults })).toThrow('csv: the file is empty');
    expect(() => parseCsvBatch({ csv: 'core_concept\n', defaults })).toThrow('csv: the file has a header but no data rows');
    expect(() => parseCsvBatch({ csv: 'core_concept,Core_Concept\nx,y\n', defaults })).toThrow(/appears twice/);
  });

  it('parses 1000 rows in one call', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `item-${i},"thing ${i}, shiny",v${i % 3}`);
    const batch = parseCsvBatch({ csv: `name,core_concept,variant\n${rows.join('\n')}\n`, defaults });
    expect(batch.items).toHaveLength(1000);
    expect(batch.items[999]?.request.name).toBe('item-999');
  });
});
