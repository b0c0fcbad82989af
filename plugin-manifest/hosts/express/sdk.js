// @ts-check
// Loads the Adobe Express add-on UI SDK for the editor (web/hosts/express.js
// reads it as window.addOnUISdk). The packaged index.html runs this module
// before the editor's, so the SDK is there when the editor starts.
import addOnUISdk from 'https://new.express.adobe.com/static/add-on-sdk/sdk.js';

/** @type {any} */ (window).addOnUISdk = addOnUISdk;
