/**
 * The layer rule: imports point one way, engine ← queue ← commands ← bot ← app/cli, and only
 * src/bot/discord imports discord.js, only src/bot/slack imports Bolt. src/util, src/log.ts and
 * src/config.ts are leaves every layer may use. A relative import is resolved to the file it names,
 * so `../../queue/x.js` from anywhere is judged by where it lands.
 * Into the engine, code outside it goes through src/engine/index.ts only. Inside it, only
 * src/engine/tfjs imports tfjs, and the rest reaches that folder by types or a dynamic import(),
 * so an engine on onnx never loads tfjs.
 */
import path from 'node:path';

const LAYERS = ['engine', 'queue', 'commands', 'bot', 'app'];
const LEAVES = ['util', 'log', 'config'];
/** Packages that belong to one folder. */
const PACKAGE_HOMES = [
  { pattern: /^discord\.js$|^@discordjs\//, home: 'bot/discord', name: 'discord.js' },
  { pattern: /^@slack\//, home: 'bot/slack', name: 'Slack Bolt' },
  { pattern: /^@tensorflow\//, home: 'engine/tfjs', name: 'tfjs' },
];
const ENGINE_ENTRY = 'engine/index.ts';
const TFJS_HOME = 'engine/tfjs/';

/** `engine`, `queue`, …, `leaf`, or undefined outside src. Platform folders keep their own name. */
function placeOf(file) {
  const rel = path.relative(path.resolve('src'), path.resolve(file)).split(path.sep).join('/');
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [first, sub] = rel.split('/');
  // Imports name the built file (`../log.js`); the rule judges the source it stands for.
  const top = first.replace(/\.[cm]?[jt]s$/, '');
  if (LEAVES.includes(top)) return { layer: 'leaf', rank: -1, rel };
  if (top === 'cli' || top === 'app' || top === 'main') return { layer: 'app', rank: LAYERS.indexOf('app'), rel };
  const rank = LAYERS.indexOf(top);
  if (rank < 0) return undefined;
  // A folder under src/bot is one platform (or ops); files right in src/bot are shared by them.
  return { layer: top, rank, platform: top === 'bot' && rel.split('/').length > 2 ? sub : undefined, rel };
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports point one way between the layers of src/, and chat libraries stay in their folder.' },
    messages: {
      upward: '{{from}} may not import {{to}}: imports point one way, engine ← queue ← commands ← bot ← app/cli.',
      sideways: 'src/bot/{{from}} may not import src/bot/{{to}}: each platform folder stands on its own.',
      leaf: '{{from}} is a leaf every layer uses; it may import only the engine and other leaves, not {{to}}.',
      package: 'Only src/{{home}} imports {{name}}.',
      entry: '{{from}} may reach the engine only through src/engine/index.ts, not {{to}}.',
      tfjs: '{{from}} may reach src/engine/tfjs only by a type import or a dynamic import(), so that onnx never loads tfjs ({{to}}).',
    },
    schema: [],
  },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const from = placeOf(file);
    if (!from) return {};
    function check(node, source, lazy = false) {
      if (typeof source !== 'string') return;
      // Types are erased: they load nothing.
      if (node.importKind === 'type' || node.exportKind === 'type') lazy = true;
      if (!source.startsWith('.')) {
        for (const p of PACKAGE_HOMES) {
          if (p.pattern.test(source) && !from.rel.startsWith(`${p.home}/`)) {
            context.report({ node, messageId: 'package', data: { home: p.home, name: p.name } });
          }
        }
        return;
      }
      const to = placeOf(path.resolve(path.dirname(file), source));
      if (!to) return;
      const data = { from: `src/${from.layer}`, to: `src/${to.rel}` };
      const target = to.rel.replace(/\.[cm]?js$/, '.ts');
      if (to.layer === 'engine' && from.layer !== 'engine' && target !== ENGINE_ENTRY) {
        context.report({ node, messageId: 'entry', data: { from: `src/${from.rel}`, to: `src/${to.rel}` } });
      }
      if (from.layer === 'engine' && !from.rel.startsWith(TFJS_HOME) && target.startsWith(TFJS_HOME) && !lazy) {
        context.report({ node, messageId: 'tfjs', data: { from: `src/${from.rel}`, to: `src/${to.rel}` } });
      }
      if (from.layer === 'leaf') {
        if (to.layer !== 'leaf' && to.layer !== 'engine') context.report({ node, messageId: 'leaf', data: { from: `src/${from.rel}`, to: `src/${to.rel}` } });
        return;
      }
      if (to.rank > from.rank) context.report({ node, messageId: 'upward', data });
      else if (from.layer === 'bot' && to.layer === 'bot' && from.platform && to.platform && from.platform !== to.platform) {
        context.report({ node, messageId: 'sideways', data: { from: from.platform, to: to.platform } });
      }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value, true),
    };
  },
};

export default { rules: { 'import-direction': rule } };
