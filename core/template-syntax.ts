/**
 * The Handlebars subset a marketing template may use, checked before SES ever sees it: SES
 * renders a template it accepted for every lead of a campaign, so a typo must fail the PUT, not
 * thousands of sends. Allowed: `{{variable}}`, `{{#if variable}}` / `{{#unless variable}}` with
 * an optional `{{else}}` and their closing tags, and comments (`{{! ... }}`, `{{!-- ... --}}`).
 * Anything else (helpers, partials, `#each`, dotted paths, triple braces) is refused: the data is
 * one flat map of strings.
 */

export interface TemplateSyntaxProblem {
  message: string;
}

export interface TemplateSyntaxResult {
  /** The variables the part reads, in order of first use. */
  variables: string[];
  problems: TemplateSyntaxProblem[];
}

const VARIABLE = /^[A-Za-z][A-Za-z0-9_]*$/;
const BLOCKS = ['if', 'unless'] as const;
type Block = (typeof BLOCKS)[number];

/** Reads every `{{...}}` of one part (subject, HTML or text), the variables it names and what is wrong with it. */
export function checkTemplateSyntax(source: string): TemplateSyntaxResult {
  const variables: string[] = [];
  const problems: TemplateSyntaxProblem[] = [];
  const open: Array<{ block: Block; hasElse: boolean }> = [];
  const use = (name: string) => {
    if (!variables.includes(name)) variables.push(name);
  };
  let index = 0;
  while (index < source.length) {
    const start = source.indexOf('{{', index);
    if (start === -1) break;
    if (source.startsWith('{{!--', start)) {
      const end = source.indexOf('--}}', start + 5);
      if (end === -1) {
        problems.push({ message: 'a comment {{!-- is never closed with --}}' });
        break;
      }
      index = end + 4;
      continue;
    }
    const end = source.indexOf('}}', start + 2);
    if (end === -1) {
      problems.push({ message: `"${excerpt(source, start)}" opens {{ without closing it with }}` });
      break;
    }
    index = end + 2;
    if (source[start + 2] === '{') {
      problems.push({
        message: `"${excerpt(source, start)}": triple braces are not supported; use {{name}} (HTML parts read escaped values)`,
      });
      if (source[index] === '}') index++;
      continue;
    }
    const tag = source.slice(start + 2, end);
    if (tag.startsWith('!')) continue;
    // One spelling per tag: HTML parts are rewritten to read escaped values (readEscapedValues), which matches it exactly.
    if (tag !== tag.trim() || tag.includes('~') || /\s{2,}/.test(tag)) {
      problems.push({ message: `"{{${tag}}}": write tags without extra spaces or ~, as in {{firstName}} or {{#if company}}` });
      continue;
    }
    const opening = /^#(\S+) ?(.*)$/.exec(tag);
    if (opening) {
      const [, block = '', argument = ''] = opening;
      if (!isBlock(block)) {
        problems.push({ message: `{{#${block}}} is not supported; use {{#if name}} or {{#unless name}}` });
        continue;
      }
      if (!VARIABLE.test(argument)) {
        problems.push({ message: `{{#${block}}} needs one variable name, as in {{#${block} firstName}}` });
      } else use(argument);
      open.push({ block, hasElse: false });
      continue;
    }
    const closing = /^\/(\S*)$/.exec(tag);
    if (closing) {
      const block = closing[1] ?? '';
      const innermost = open.pop();
      if (!innermost) problems.push({ message: `{{/${block}}} closes a block that was never opened` });
      else if (innermost.block !== block)
        problems.push({ message: `{{/${block}}} closes {{#${innermost.block}}}; close it with {{/${innermost.block}}}` });
      continue;
    }
    if (tag === 'else') {
      const innermost = open.at(-1);
      if (!innermost) problems.push({ message: '{{else}} outside of an {{#if}} or {{#unless}} block' });
      else if (innermost.hasElse) problems.push({ message: `{{#${innermost.block}}} has more than one {{else}}` });
      else innermost.hasElse = true;
      continue;
    }
    if (VARIABLE.test(tag)) use(tag);
    else problems.push({ message: `"{{${tag}}}" is not a variable: use a name such as {{firstName}} (letters, digits and _)` });
  }
  for (const unclosed of open.reverse()) problems.push({ message: `{{#${unclosed.block}}} is never closed with {{/${unclosed.block}}}` });
  return { variables, problems };
}

function isBlock(name: string): name is Block {
  return (BLOCKS as readonly string[]).includes(name);
}

function excerpt(source: string, start: number): string {
  const text = source.slice(start, start + 30);
  return text.length < source.length - start ? `${text}…` : text;
}
