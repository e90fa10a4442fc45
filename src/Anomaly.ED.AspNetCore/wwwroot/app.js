'use strict';
// The page talks to the service with relative URLs, so it works under any route prefix. Decisions are re-made here
// from the returned scores when the threshold moves: nothing is scored again.
const $ = (selector) => document.querySelector(selector);
const state = { models: [], results: [] };

function headers() {
  const key = $('#api-key').value;
  return key ? { 'X-Api-Key': key } : {};
}

function setStatus(text, isError) {
  $('#status').textContent = text;
  $('#status').className = isError ? 'error' : '';
}

async function problemText(response) {
  try {
    const problem = await response.json();
    return `${response.status} ${problem.title ?? ''}: ${problem.detail ?? ''}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

async function loadModels() {
  const response = await fetch('v1/models', { headers: headers() });
  if (!response.ok) {
    setStatus(await problemText(response), true);
    return;
  }
  state.models = await response.json();
  const select = $('#model');
  select.replaceChildren(...state.models.map((m) => new Option(`${m.name} (${m.state})`, m.name)));
  setStatus(state.models.length ? '' : 'No models are hosted.');
}

function format(value) {
  return Number.isFinite(value) ? value.toPrecision(4) : '';
}

function decide() {
  const threshold = Number($('#threshold').value);
  $('#threshold-value').textContent = format(threshold);
  for (const result of state.results) {
    const anomalous = result.score >= threshold;
    result.decision.textContent = anomalous ? 'anomalous' : 'normal';
    result.decision.className = `decision ${anomalous ? 'anomalous' : 'normal'}`;
  }
}

function setUpSlider(images, modelThreshold) {
  const values = images.flatMap((i) => [i.score, i.heatmap?.low, i.heatmap?.high]).filter(Number.isFinite);
  if (modelThreshold != null) values.push(modelThreshold);
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (!(high > low)) { low -= 1; high += 1; }
  const slider = $('#threshold');
  slider.min = low;
  slider.max = high;
  slider.step = (high - low) / 1000;
  slider.value = modelThreshold ?? (low + high) / 2;
  $('#threshold-source').textContent = modelThreshold != null ? `(calibrated: ${format(modelThreshold)})` : '(model not calibrated: choose one)';
  $('#controls').hidden = false;
}

function show(images) {
  const results = $('#results');
  results.replaceChildren();
  state.results = images.map((image) => {
    const card = $('#result-template').content.firstElementChild.cloneNode(true);
    card.querySelector('.overlay').src = `data:image/png;base64,${image.heatmap.png}`;
    card.querySelector('.low').textContent = format(image.heatmap.low);
    card.querySelector('.high').textContent = format(image.heatmap.high);
    card.querySelector('.file').textContent = image.file ?? '';
    card.querySelector('.score').textContent = format(image.score) + (image.normalizedScore != null ? ` (normalised ${format(image.normalizedScore)})` : '');
    card.querySelector('.time').textContent = `${(image.timing.queueMilliseconds + image.timing.inferenceMilliseconds).toFixed(0)} ms, batch of ${image.timing.batchSize}`;
    results.append(card);
    return { score: image.score, decision: card.querySelector('.decision') };
  });
  setUpSlider(images, images[0]?.threshold ?? null);
  decide();
}

async function predict(files) {
  const images = [...files].filter((f) => f.type.startsWith('image/'));
  if (!images.length) {
    setStatus('Choose image files (PNG, JPEG, BMP, WebP or GIF).', true);
    return;
  }
  const model = $('#model').value;
  const form = new FormData();
  for (const file of images) form.append('images', file, file.name);
  setStatus(`Scoring ${images.length} image(s) with ${model}…`);
  const response = await fetch(`v1/models/${encodeURIComponent(model)}/predict?heatmap=true`, { method: 'POST', body: form, headers: headers() });
  if (!response.ok) {
    setStatus(await problemText(response), true);
    return;
  }
  const answer = await response.json();
  show(answer.images);
  setStatus(`Scored ${answer.images.length} image(s) in ${answer.totalMilliseconds.toFixed(0)} ms.`);
}

$('#files').addEventListener('change', (e) => predict(e.target.files));
$('#threshold').addEventListener('input', decide);
$('#api-key').addEventListener('change', loadModels);
const drop = $('#drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); predict(e.dataTransfer.files); });
loadModels();
