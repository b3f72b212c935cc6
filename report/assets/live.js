// The live page: one panel per run, fed by the server-sent events of
// /events. Everything from the run is set as text (textContent) or as an
// image source, never as HTML. window.gaborLive holds the state (the tests
// read it).
"use strict";
(function () {
	const live = { events: 0, lastId: 0, connects: 0, errors: 0, runs: {} };
	window.gaborLive = live;
	const root = document.getElementById("runs");
	const conn = document.getElementById("conn");

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined) e.textContent = text;
		return e;
	}

	function chart(parent, title, series, opts) {
		const box = el("div", "panel");
		box.appendChild(el("h3", "", title));
		parent.appendChild(box);
		const data = [[]].concat(series.map(() => []));
		const u = new uPlot(Object.assign({
			width: 420, height: 220,
			series: [{ label: "step" }].concat(series.map((s, i) => ({
				label: s, stroke: ["#2b5fb4", "#c0392b", "#27864a"][i % 3], width: 1.5,
				points: { show: opts && opts.points },
			}))),
			scales: { x: { time: false } },
			axes: [{ label: "step" }, {}],
		}, opts && opts.uplot), data, box);
		return { u: u, data: data };
	}

	function push(c, x, ys) {
		c.data[0].push(x);
		ys.forEach((y, i) => c.data[i + 1].push(y));
		c.u.setData(c.data);
	}

	function fmtTime(s) {
		if (!(s > 0)) return "—";
		s = Math.round(s);
		const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
		return (h ? h + " h " : "") + (h || m ? m + " min " : "") + sec + " s";
	}

	function run(name) {
		let r = live.runs[name];
		if (r) return r;
		const box = el("section", "run");
		box.dataset.run = name;
		box.appendChild(el("h2", "", name));
		const status = el("div", "status", "waiting for the first step…");
		box.appendChild(status);
		const grid = el("div", "grid");
		box.appendChild(grid);
		r = {
			box: box, status: status, step: 0, steps: 0, epoch: 0, eta: 0, done: null,
			loss: chart(grid, "training loss", ["loss"]),
			acc: chart(grid, "test accuracy by epoch end", ["test accuracy"], { points: true }),
			score: chart(grid, "Gabor score of the first layer", ["score", "mean adj. R²"], { points: true }),
			filterSteps: [], filterSrc: "", filterChanges: 0, actSrc: "",
		};
		const fp = el("div", "panel");
		fp.appendChild(el("h3", "", "first-layer filters"));
		r.filterImg = el("img");
		r.filterImg.alt = "first-layer filters";
		r.filterCap = el("div", "cap", "no snapshot yet");
		fp.appendChild(r.filterImg);
		fp.appendChild(r.filterCap);
		grid.appendChild(fp);
		const ap = el("div", "panel");
		ap.appendChild(el("h3", "", "a test image through every layer"));
		r.actImg = el("img");
		r.actImg.alt = "activations";
		r.actCap = el("div", "cap", "no checkpoint yet");
		ap.appendChild(r.actImg);
		ap.appendChild(r.actCap);
		grid.appendChild(ap);
		root.appendChild(box);
		live.runs[name] = r;
		return r;
	}

	function showStatus(r) {
		let s = "step " + r.step + (r.steps ? " of " + r.steps : "") + ", epoch " + r.epoch;
		if (r.done) {
			r.status.textContent = "";
			const d = el("span", "done", r.done.error ? "stopped: " + r.done.error : "finished");
			r.status.appendChild(d);
			r.status.appendChild(document.createTextNode(" — " + s +
				(r.done.test_acc != null ? ", test accuracy " + r.done.test_acc.toFixed(4) : "")));
			return;
		}
		if (r.steps && r.step) s += " (" + (100 * r.step / r.steps).toFixed(1) + " %)";
		s += ", ETA " + fmtTime(r.eta);
		r.status.textContent = s;
	}

	const handlers = {
		run: (d) => { run(d.run); },
		progress: (d) => {
			const r = run(d.run);
			push(r.loss, d.step, [d.loss]);
			r.step = d.step; r.epoch = d.epoch;
			if (d.steps) r.steps = d.steps;
			r.eta = d.eta_s;
			showStatus(r);
		},
		epoch: (d) => {
			const r = run(d.run);
			if (d.test_acc != null) push(r.acc, d.step || r.step, [d.test_acc]);
			r.epoch = d.epoch;
			showStatus(r);
		},
		snapshot: (d) => {
			const r = run(d.run);
			if (r.filterSrc && r.filterSrc !== d.image) r.filterChanges++;
			r.filterImg.src = d.image;
			r.filterSrc = d.image;
			r.filterSteps.push(d.step);
			r.filterCap.textContent = d.layer + ", " + d.filters + " filters at step " + d.step + " (epoch " + d.epoch + ")" +
				(d.gabor_score != null ? ", Gabor score " + d.gabor_score.toFixed(2) : "");
			if (d.gabor_score != null) push(r.score, d.step, [d.gabor_score, d.mean_r2]);
		},
		activations: (d) => {
			const r = run(d.run);
			r.actImg.src = d.image;
			r.actSrc = d.image;
			r.actCap.textContent = "test image " + d.index + " (" + d.label + "), predicted " + d.predicted + ", step " + d.step;
		},
		done: (d) => {
			const r = run(d.run);
			r.done = d;
			showStatus(r);
		},
	};

	const es = new EventSource("/events");
	es.onopen = () => { live.connects++; conn.textContent = "live"; conn.className = "conn live"; };
	es.onerror = () => { live.errors++; conn.textContent = "reconnecting…"; conn.className = "conn lost"; };
	Object.keys(handlers).forEach((type) => {
		es.addEventListener(type, (e) => {
			live.events++;
			live.lastId = Number(e.lastEventId) || live.lastId;
			handlers[type](JSON.parse(e.data));
		});
	});
})();
