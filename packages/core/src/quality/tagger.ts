import type { AssetRequest } from '../request.js';

/** What a tagger sees: one stored output. */
export interface TagInput {
  data: Uint8Array;
  contentType: string;
  filename: string;
  request: AssetRequest;
  /** Step operation that made it. */
  operation: string;
}

/**
 * Tags outputs automatically (colours, subjects, style). Plug in a model-based tagger the host
 * provides; {@link paletteTagger} is built in. Tags are lower-case, such as `color:red`.
 */
export interface AutoTagger {
  readonly name: string;
  tag(input: TagInput): Promise<string[]> | string[];
}

/** Runs several taggers and merges their tags (deduplicated, in order). */
export function combineTaggers(...taggers: AutoTagger[]): AutoTagger {
  return {
    name: taggers.map((t) => t.name).join('+'),
    async tag(input) {
      const all = await Promise.all(taggers.map((t) => t.tag(input)));
      return [...new Set(all.flat())];
    },
  };
}
