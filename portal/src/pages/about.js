// 如何核验: what the browser checks and how to check without it.
import { t, lang } from '../i18n.js';
import { getJson, portalConfig } from '../api.js';
import { esc } from '../format.js';
import { ownWitnesses, setOwnWitnesses } from '../verify/panel.js';
import { witnessPolicy } from '../verify/cosignature.js';

// 见证方: the deployment's witnesses and quorum (portal.json), and a form
// where a visitor enters the witness keys they trust themselves (kept in
// this browser's localStorage; they then replace the deployment's list).
function witnessSection(cfg) {
  const zh = lang() !== 'en';
  const list = Array.isArray(cfg.witnesses) ? cfg.witnesses : [];
  const keyOf = (w) => (typeof w === 'string' ? w : w?.vkey || '');
  const labelOf = (w) => (typeof w === 'object' && w && typeof w.label === 'string' ? w.label : '');
  const quorum = cfg.witnessQuorum ?? list.length;
  const own = ownWitnesses();
  const deployment = list.length
    ? `<p id="about-witness-quorum">${zh ? `本平台部署配置了 ${list.length} 个见证方，要求检查点至少有其中 ${esc(quorum)} 个的联署：` : `The deployment configures ${list.length} witnesses and requires cosignatures of at least ${esc(quorum)} of them:`}</p>
      <ul id="about-witnesses">${list.map((w) => `<li>${labelOf(w) ? esc(labelOf(w)) + (zh ? '：' : ': ') : ''}<code>${esc(keyOf(w))}</code></li>`).join('')}</ul>`
    : Array.isArray(cfg.serverWitnesses) && cfg.serverWitnesses.length
      ? `<p id="about-witness-quorum">${zh ? `本平台部署没有固定见证方。运行日志的服务器声明它把检查点送交以下 ${cfg.serverWitnesses.length} 个见证方联署；核验时要求全部联署，但这份名单取自被核验的服务器本身（未固定），请向见证方本身核对其公钥：` : `The deployment pins no witnesses. The server running the log says it has its checkpoints cosigned by these ${cfg.serverWitnesses.length} witnesses; verification requires all of them, but this list comes from the server being checked (NOT pinned): check the keys with the witnesses themselves:`}</p>
      <ul id="about-witnesses">${cfg.serverWitnesses.map((k) => `<li><code>${esc(k)}</code></li>`).join('')}</ul>`
      : `<p id="about-witness-quorum">${zh ? '本平台部署没有配置见证方。' : 'The deployment configures no witnesses.'}</p>`;
  return `<section class="card" id="witnesses" aria-labelledby="h-witnesses"><h2 id="h-witnesses">${zh ? '见证方' : 'Witnesses'}</h2>
    <p>${zh
    ? '见证方是独立于运行日志的机构（例如审计局、上级人大常委会、高校），各自在自己的机器上运行见证程序，只在新检查点延续其此前联署过的检查点时才联署（C2SP tlog-witness、tlog-cosignature）。核验时，您的浏览器检查检查点上的联署签名，要求达到法定数，并列出谁在何时联署。'
    : 'Witnesses are bodies independent of the office that runs the log (an audit bureau, the next level\'s congress, a university), each running a witness on its own machine that cosigns a new checkpoint only if it extends what it cosigned before (C2SP tlog-witness, tlog-cosignature). When verifying, your browser checks the cosignatures on the checkpoint, requires the quorum and lists who cosigned and when.'}</p>
    ${deployment}
    <p>${zh
    ? '只信任运营方给出的见证方名单是不够的：运营方可以列出自己控制的"见证方"。请向见证方本身（其公告或网站）取得它们的公钥，填在下面。设置后，本浏览器在本网站上的核验将改用您的名单和法定数（只保存在本浏览器中）。'
    : 'Trusting the operator\'s list alone is weak: an operator can list "witnesses" it controls. Get the keys from the witnesses themselves (their notices or sites) and enter them below; verifications on this site in this browser then use your list and quorum instead (kept only in this browser).'}</p>
    <form id="own-witnesses-form"><label for="own-witnesses">${zh ? '您信任的见证方公钥（每行一个，形如 名称+密钥编号+base64）' : 'Witness keys you trust (one a line: name+key id+base64)'}</label>
    <textarea id="own-witnesses" rows="4" spellcheck="false">${esc(own ? own.keys.join('\n') : '')}</textarea>
    <label for="own-quorum">${zh ? '至少需要几个联署（留空表示全部）' : 'How many must cosign (empty: all)'}</label>
    <input id="own-quorum" inputmode="numeric" value="${esc(own && own.quorum !== null ? own.quorum : '')}">
    <p><button type="submit" id="own-witnesses-save">${zh ? '保存我的见证方' : 'Save my witnesses'}</button> <button type="button" id="own-witnesses-clear">${zh ? '清除（改用部署配置）' : 'Clear (use the deployment\'s)'}</button></p>
    <p id="own-witnesses-status" role="status" aria-live="polite">${own ? (zh ? `正在使用您自己设置的 ${own.keys.length} 个见证方。` : `Using your own ${own.keys.length} witnesses.`) : ''}</p></form></section>`;
}

function bindWitnessForm(main) {
  const zh = lang() !== 'en';
  const status = main.querySelector('#own-witnesses-status');
  main.querySelector('#own-witnesses-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const keys = main.querySelector('#own-witnesses').value.split('\n').map((k) => k.trim()).filter(Boolean);
    const q = main.querySelector('#own-quorum').value.trim();
    try {
      if (!keys.length) throw new Error(zh ? '请至少填写一个见证方公钥' : 'enter at least one witness key');
      const p = await witnessPolicy(keys, q === '' ? null : Number(q), 'visitor');
      setOwnWitnesses(keys, q === '' ? null : p.quorum);
      status.textContent = zh ? `已保存：${keys.length} 个见证方，至少需要 ${p.quorum} 个联署。` : `Saved: ${keys.length} witnesses, at least ${p.quorum} must cosign.`;
      status.className = 'good';
    } catch (e) {
      status.textContent = (zh ? '未保存：' : 'Not saved: ') + e.message;
      status.className = 'bad';
    }
  });
  main.querySelector('#own-witnesses-clear').addEventListener('click', () => {
    setOwnWitnesses(null);
    main.querySelector('#own-witnesses').value = '';
    main.querySelector('#own-quorum').value = '';
    status.textContent = zh ? '已清除：改用本平台部署配置的见证方。' : "Cleared: the deployment's witnesses are used.";
    status.className = '';
  });
}

export async function aboutPage(main) {
  const [log, cfg] = await Promise.all([getJson('/v1/log', { withAsOf: false }), portalConfig()]);
  const zh = lang() !== 'en';
  main.innerHTML = `<h1>${esc(t('about_title'))}</h1>
    <dl class="facts"><div><dt>${zh ? '日志名称' : 'Log origin'}</dt><dd><code>${esc(log.origin)}</code></dd></div>
    <div><dt>${esc(t('vkey'))}</dt><dd><code id="about-vkey">${esc(cfg.verifierKey || log.verifierKey)}</code>（${esc(cfg.verifierKey ? t('pinned') : t('unpinned'))}）</dd></div>
    <div><dt>${zh ? '记录条数' : 'Entries'}</dt><dd>${log.size}</dd></div></dl>
    ${zh ? `<ol>
      <li>每一项记录（建议、筛选决定、选票、计票、进度……）都由作出该行为的机构用自己的密钥签名，按顺序写入只增不改的日志。</li>
      <li>日志的所有记录组成一棵默克尔树（RFC 6962），其树根由日志密钥签名为"检查点"。验证公钥由部署方公布（见本页与纸质公告），并固定在本平台配置中。</li>
      <li>点击"在浏览器中核验"，您的浏览器会下载检查点并用公布的公钥验证其签名，下载记录及其包含证明，逐条计算 SHA-256 哈希、验证包含关系、解码记录并验证签署者签名与职权，最后说明证明了什么、针对哪个树大小。</li>
      <li>"在浏览器中重新计票"从经过证明的原始选票记录中解码选票，按票决规则重新计算结果，并与公布结果逐项比对。</li>
      <li>"下载证明"得到与 <code>piaojue prove</code> 相同的离线证明文件，可用 <code>piaojue-verify 文件 --vkey 公钥</code> 在不联网的电脑上核验。</li>
    </ol>` : `<ol>
      <li>Every act (proposal, screening decision, ballots, tally, progress…) is signed by the office that made it and appended to an append-only log.</li>
      <li>The log's entries form an RFC 6962 Merkle tree whose root is signed as a checkpoint. The verifier key is published by the deployment (here and on printed notices) and pinned in the portal's configuration.</li>
      <li>"Verify in my browser" downloads the checkpoint and checks its signature with the published key, downloads the record's entries with their inclusion proofs, hashes them with SHA-256, checks inclusion, decodes them and checks each author's signature and role, then says what was proven against which tree size.</li>
      <li>"Recount in my browser" decodes the ballots from proven raw entries, recounts them by the voting rules and compares with the published result item by item.</li>
      <li>"Download proof" gives the same offline bundle as <code>piaojue prove</code>; check it with <code>piaojue-verify FILE --vkey KEY</code> on a machine without network.</li>
    </ol>`}
    ${witnessSection(cfg)}`;
  bindWitnessForm(main);
  if (location.hash === '#witnesses') main.querySelector('#witnesses').scrollIntoView();
}
