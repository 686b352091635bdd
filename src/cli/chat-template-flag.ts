// `--chat-template-arg NAME=VALUE` (repeatable), taken by every command that renders a chat
// template: one declaration and one reading, so each command parses it the same way.
import type { Command } from 'commander';
import { parseChatTemplateArgs, type ChatTemplateArgs } from '../model/chat-template.js';

type Flags = Record<string, unknown>;

/**
 * The flag's commander arguments (flags, help, accumulator); `where` says what it applies to in
 * this command's help. No default, so an absent flag stays undefined (--resume can tell).
 */
export function chatTemplateArgOption(where: string): [string, string, (v: string, acc: string[] | undefined) => string[]] {
  return ['--chat-template-arg <name=value>', `a variable for the chat template, e.g. enable_thinking=false for Qwen3 (repeatable; ${where})`, (v, acc) => [...(acc ?? []), v]];
}

/** Registers the flag on `cmd`. */
export function addChatTemplateArgOption(cmd: Command, where: string): Command {
  return cmd.option(...chatTemplateArgOption(where));
}

/** The template arguments given with the flag, or null when it was not given. */
export function chatTemplateArgFlag(flags: Flags): ChatTemplateArgs | null {
  const given = flags.chatTemplateArg as string[] | undefined;
  return given === undefined || given.length === 0 ? null : parseChatTemplateArgs(given);
}
