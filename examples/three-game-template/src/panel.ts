// The side panel: one card per asset with its prompt, quality rating, sizes and LOD levels.
// The row of the LOD level on screen is highlighted as the camera moves.
import type { KilnLoader } from '@kiln/three';

type Manifest = Awaited<ReturnType<KilnLoader['getManifest']>>;
type Asset = Manifest['assets'][number];

/** One asset's card. */
export interface AssetCard {
  setState(state: 'loading' | 'loaded' | 'failed', detail?: string): void;
  /** Highlights the LOD level on screen (`undefined`: none). */
  setCurrentLevel(level: number | undefined): void;
}

const kib = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Stars for a 0-5 rating, with the tier name when the metadata has one (`quality: 'AA'`). */
function rating(asset: Asset): string | undefined {
  const score = asset.metadata?.qualityRating;
  const tier = asset.metadata?.['quality'];
  if (score === undefined && typeof tier !== 'string') return undefined;
  const stars = score === undefined ? '' : '★'.repeat(Math.round(score)) + '☆'.repeat(5 - Math.round(score));
  return `${stars}${typeof tier === 'string' ? ` ${tier}` : ''}`;
}

/** Adds a card for `asset` to `panel`; `onSelect` runs when the card is clicked. */
export function addAssetCard(panel: HTMLElement, asset: Asset, onSelect: () => void): AssetCard {
  const card = element('div', 'asset');
  card.dataset['id'] = asset.id;
  const state = element('span', 'state', 'loading');
  card.append(state, element('div', 'id', asset.id));
  const prompt = asset.metadata?.prompt;
  if (prompt) card.append(element('div', 'prompt', prompt));
  const stars = rating(asset);
  if (stars) card.append(element('div', 'stars', stars));

  const table = element('table', '');
  const head = element('tr', '');
  for (const title of ['LOD', 'triangles', 'size', 'from']) head.append(element('td', '', title));
  table.append(head);
  const levels = [
    { triangles: asset.triangles, bytes: asset.bytes, from: '' },
    ...(asset.lods ?? []).map((lod) => ({
      triangles: lod.triangles,
      bytes: lod.bytes,
      from: lod.switchDistance !== undefined ? `${lod.switchDistance} m` : `≤${((lod.screenCoverage ?? 0) * 100).toFixed(0)}% screen`,
    })),
  ];
  const rows = levels.map((level, i) => {
    const row = element('tr', '');
    row.append(element('td', '', asset.type === 'model_3d' ? String(i) : asset.type), element('td', '', level.triangles === undefined ? '' : String(level.triangles)), element('td', '', kib(level.bytes)), element('td', '', level.from));
    table.append(row);
    return row;
  });
  card.append(table);
  const error = element('div', 'error');
  card.append(error);
  card.addEventListener('click', onSelect);
  panel.append(card);

  return {
    setState(next, detail) {
      state.textContent = next;
      card.classList.toggle('failed', next === 'failed');
      error.textContent = next === 'failed' ? (detail ?? '') : '';
    },
    setCurrentLevel(level) {
      rows.forEach((row, i) => row.classList.toggle('current', i === level));
    },
  };
}

/** A heading in the panel. */
export function addHeading(panel: HTMLElement, text: string): void {
  panel.append(element('h2', '', text));
}
