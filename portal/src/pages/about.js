// 如何核验: what the browser checks and how to check without it.
import { t, lang } from '../i18n.js';
import { getJson, portalConfig } from '../api.js';
import { esc } from '../format.js';

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
    </ol>`}`;
}
