import { baseName, parentDir } from './gemini-homes';

const CHATS = '/chats/';

/** Where a chat recording sits: `<tmp>/<project>/chats/session-….jsonl` or, for a sub-agent, `…/chats/<parent session>/<id>.jsonl`. */
export interface ChatFile {
  /** `<tmp>/<project>`: a slug directory (with `.project_root`) or, before slugs, the project hash. */
  projectDir: string;
  /** The main session a sub-agent recording belongs to. */
  parentSessionId?: string;
  /** The file name without extension: the session id's stand-in when the header is unreadable. */
  stem: string;
}

export const MAIN_RECORDING = /^session-.+\.jsonl$/;
export const LEGACY_RECORDING = /^session-.+\.json$/;

export function chatFileOf(path: string): ChatFile {
  const cut = path.lastIndexOf(CHATS);
  const name = baseName(path);
  const stem = name.replace(/\.jsonl?$/, '');
  if (cut < 0) return { projectDir: parentDir(parentDir(path)), stem };
  const inChats = path.slice(cut + CHATS.length).split('/');
  const file: ChatFile = { projectDir: path.slice(0, cut), stem };
  if (inChats.length === 2 && inChats[0] !== undefined && inChats[0] !== '') file.parentSessionId = inChats[0];
  return file;
}
