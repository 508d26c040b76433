// Copy buttons. A page renders `<button type="button" data-copy="ID" hidden>`
// next to the element with id ID (an input, or a <code> block) and a
// `<span role="status" data-copy-status="ID">` for the result. Without this
// script the buttons stay hidden and the text can still be selected by hand.
/* global document, navigator, CSS */

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No Clipboard API (an insecure origin, an old browser): select and copy.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.append(area);
    area.select();
    let ok;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

for (const button of document.querySelectorAll('button[data-copy]')) {
  const id = button.getAttribute('data-copy');
  const target = document.getElementById(id);
  // Idempotent: the script may be included more than once on a page.
  if (!target || button.hasAttribute('data-copy-ready')) continue;
  button.setAttribute('data-copy-ready', '');
  button.hidden = false;
  const status = document.querySelector(`[data-copy-status="${CSS.escape(id)}"]`);
  button.addEventListener('click', async () => {
    const text = target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' ? target.value : target.textContent;
    const ok = await copyText(text);
    if (status) status.textContent = ok ? 'Copied to the clipboard.' : 'Could not copy: select the text and copy it by hand.';
    if (!ok && typeof target.select === 'function') target.select();
  });
}
