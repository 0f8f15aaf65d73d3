/**
 * The coding agents Rimuru has adapters for, by the id every record, session and `--agent`
 * option uses. The JSON contract of the reports names agents by these ids.
 */
export const AGENT_IDS = ['claude-code', 'codex', 'opencode', 'goose', 'copilot', 'cursor', 'gemini'] as const;

export type AgentId = (typeof AGENT_IDS)[number];

export const AGENT_DISPLAY_NAMES: Record<AgentId, string> = {
  'claude-code': 'Claude Code',
  codex: 'Codex',
  opencode: 'OpenCode',
  goose: 'Goose',
  copilot: 'Copilot CLI',
  cursor: 'Cursor',
  gemini: 'Gemini CLI',
};

export function isAgentId(value: string): value is AgentId {
  return (AGENT_IDS as readonly string[]).includes(value);
}
