/** What one mount (a connected source) looks like; every field maps to a status-json key. */
export interface MountState {
  /** `title`; `null` or absent → no `title` key, like a source that never sent metadata. */
  title?: string | null;
  /** `artist`, sent separately by Ogg/Vorbis/Opus sources (MP3 sources only send `title`). */
  artist?: string;
  /** `server_name`; default `Fake ${mount}`. */
  serverName?: string;
  /** `server_description`; default `Fake test stream (${mount})`. */
  description?: string;
  /** `genre`; default `Test`. */
  genre?: string;
  /** `listeners`; default 0. `listener_peak` is the highest value seen. */
  listeners?: number;
  /** `bitrate` in kbps; no key unless set. */
  bitrate?: number;
  /** `server_url`; no key unless set. */
  serverUrl?: string;
  /** `server_type`; default `audio/mpeg`. */
  serverType?: string;
  /**
   * The mount's `<charset>`. Unset (Icecast's default): every character above U+00FF is written as a
   * numeric character reference (`&#8211;`). Set (e.g. `UTF-8`): text is written as raw UTF-8.
   */
  charset?: string;
}

const STRING_FIELDS = ['artist', 'serverName', 'description', 'genre', 'serverUrl', 'serverType', 'charset'] as const;

/** The defaults a mount gets when it is created. */
export function defaultMountState(mount: string): MountState {
  return {
    serverName: `Fake ${mount}`,
    description: `Fake test stream (${mount})`,
    genre: 'Test',
    listeners: 0,
    serverType: 'audio/mpeg',
  };
}

/** `live` → `/live`; throws a TypeError for a name that cannot be a mount. */
export function normaliseMountName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name === '/') {
    throw new TypeError(`mount name must be a non-empty path like "/live", got ${JSON.stringify(name)}`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

/**
 * Checks a mount patch that may come from the wire and returns a clean copy.
 * Throws a TypeError whose message names the offending field.
 */
export function parseMountPatch(value: unknown): MountState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('mount state must be a JSON object');
  }
  const input = value as Record<string, unknown>;
  const patch: MountState = {};
  for (const [key, field] of Object.entries(input)) {
    if (field === undefined) continue;
    if (key === 'title') {
      if (field !== null && typeof field !== 'string') throw fieldError(key, 'a string or null', field);
      patch.title = field;
    } else if (key === 'listeners') {
      if (!Number.isSafeInteger(field) || (field as number) < 0) throw fieldError(key, 'a non-negative integer', field);
      patch.listeners = field as number;
    } else if (key === 'bitrate') {
      if (typeof field !== 'number' || !Number.isFinite(field) || field < 0) {
        throw fieldError(key, 'a non-negative number', field);
      }
      patch.bitrate = field;
    } else if ((STRING_FIELDS as readonly string[]).includes(key)) {
      if (typeof field !== 'string') throw fieldError(key, 'a string', field);
      patch[key as (typeof STRING_FIELDS)[number]] = field;
    } else {
      throw new TypeError(`unknown mount field "${key}"`);
    }
  }
  return patch;
}

function fieldError(key: string, expected: string, got: unknown): TypeError {
  return new TypeError(`mount field "${key}" must be ${expected}, got ${JSON.stringify(got)}`);
}
