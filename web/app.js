/* fremdrift's pages work without this file. It only makes them smoother:
   each answer is saved the moment it is tapped (POST /l/<t>/a), and on a
   citizen's screen of one question the page moves on after a short pause.
   Focus goes to the new screen's heading, so keyboards and screen readers
   keep their place. No inline script: the CSP forbids it. */
(function () {
	'use strict';
	var auto = document.getElementById('auto');
	var reduced = window.matchMedia &&
		window.matchMedia('(prefers-reduced-motion: reduce)').matches;
	/* The welcome says that a tap moves on, since this script makes it
	   so (WCAG 3.2.2: a change of context on input, said beforehand). */
	if (auto && !reduced)
		auto.hidden = false;
	/* The leadership page's "Udskriv" button: a script is needed to
	   print, so the button is shown only where it works. */
	var print = document.querySelector('[data-print]');
	if (print && window.print) {
		print.hidden = false;
		print.addEventListener('click', function () {
			window.print();
		});
	}
	var h = document.getElementById('h');
	if (h && document.querySelector('form.screen'))
		h.focus();
	var form = document.querySelector('form.screen');
	if (!form || !window.fetch || !window.URLSearchParams)
		return;
	var save = form.getAttribute('action').replace(/\/q\/\d+$/, '/a');
	var csrf = form.elements.csrf.value;
	var sets = form.querySelectorAll('fieldset');
	var single = sets.length === 1;
	var timer = null;
	form.addEventListener('change', function (e) {
		var t = e.target;
		if (t.type !== 'radio')
			return;
		var body = new URLSearchParams();
		body.set('item', t.name);
		body.set('value', t.value);
		body.set('csrf', csrf);
		fetch(save, {method: 'POST', body: body,
			credentials: 'same-origin'}).catch(function () {});
		/* Move on only after a pointer tap on a screen of one
		   question: arrow keys change the radio too, and must not
		   leave the page under the user's fingers. */
		if (single && !reduced && t.dataset.tapped === '1') {
			clearTimeout(timer);
			timer = setTimeout(function () {
				var next = form.querySelector(
					'button[value=next]');
				if (next)
					next.click();
			}, 600);
		}
	});
	form.addEventListener('pointerup', function (e) {
		var label = e.target.closest('label');
		var input = label && label.querySelector('input');
		if (input)
			input.dataset.tapped = '1';
	});
	form.addEventListener('keydown', function () {
		clearTimeout(timer);
		var inputs = form.querySelectorAll('input[type=radio]');
		for (var i = 0; i < inputs.length; i++)
			delete inputs[i].dataset.tapped;
	});
})();
