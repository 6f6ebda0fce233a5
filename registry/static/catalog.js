// The catalog's only script (the pages work without it): search as you type, copy buttons.
(() => {
  const form = document.querySelector('form.search');
  const results = document.getElementById('results');
  const count = document.getElementById('count');
  if (form && results) {
    let timer;
    const refresh = async () => {
      const params = new URLSearchParams(new FormData(form));
      params.delete('page');
      const res = await fetch('/?' + params.toString(), { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      results.innerHTML = doc.getElementById('results').innerHTML;
      count.textContent = doc.getElementById('count').textContent;
      const pager = document.getElementById('pager');
      if (pager) pager.innerHTML = doc.getElementById('pager').innerHTML;
      history.replaceState(null, '', '/?' + params.toString());
    };
    form.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    });
  }
  for (const button of document.querySelectorAll('button.copy')) {
    button.addEventListener('click', async () => {
      const text = document.getElementById(button.dataset.copy).textContent;
      await navigator.clipboard.writeText(text);
      const note = document.getElementById('copied');
      if (note) note.textContent = 'Copied';
    });
  }
})();
