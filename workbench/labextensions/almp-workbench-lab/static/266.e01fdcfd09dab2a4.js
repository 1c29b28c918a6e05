"use strict";(self.rspackChunkalmp_workbench_lab=self.rspackChunkalmp_workbench_lab||[]).push([[266],{646(r,e,o){var a=o(601),n=o.n(a),t=o(314),c=(o.n(t))()(n());c.push([r.id,`/* The Workbench sidebar (JupyterLab theme variables: readable in light and dark themes). */
.jp-WorkbenchSidebar {
  overflow-y: auto;
  padding: 8px 12px;
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
}

.jp-WorkbenchSidebar-title {
  margin: 4px 0 8px;
  font-size: var(--jp-ui-font-size3);
}

.jp-WorkbenchSidebar-toolbar,
.jp-WorkbenchSidebar-actions {
  display: flex;
  flex-wrap: wrap;
  gap: 6px;
  margin: 6px 0;
}

.jp-WorkbenchSidebar-button {
  min-height: 28px;
  padding: 2px 10px;
  border: 1px solid var(--jp-border-color1);
  border-radius: 3px;
  background: var(--jp-layout-color2);
  color: var(--jp-ui-font-color1);
  cursor: pointer;
}

.jp-WorkbenchSidebar-button:focus-visible {
  outline: 2px solid var(--jp-brand-color1);
  outline-offset: 1px;
}

.jp-WorkbenchSidebar-button.jp-mod-accept {
  background: var(--jp-brand-color1);
  border-color: var(--jp-brand-color1);
  color: #fff;
}

.jp-WorkbenchSidebar-button:disabled {
  cursor: default;
  opacity: 0.6;
}

.jp-WorkbenchSidebar-status {
  min-height: 1.2em;
  margin: 4px 0;
  overflow-wrap: anywhere;
}

.jp-WorkbenchSidebar-status.jp-mod-error,
.jp-WorkbenchSidebar-problem,
.jp-WorkbenchSidebar-job.jp-mod-failed {
  color: var(--jp-error-color0);
}

.jp-WorkbenchSidebar-case {
  margin: 10px 0;
  padding: 8px 10px;
  border: 1px solid var(--jp-border-color2);
  border-radius: 4px;
  background: var(--jp-layout-color0);
}

.jp-WorkbenchSidebar-case h3 {
  margin: 0 0 2px;
  font-size: var(--jp-ui-font-size2);
}

.jp-WorkbenchSidebar-case h4 {
  margin: 8px 0 2px;
  font-size: var(--jp-ui-font-size1);
  color: var(--jp-ui-font-color2);
  text-transform: uppercase;
  letter-spacing: 0.04em;
}

.jp-WorkbenchSidebar-meta,
.jp-WorkbenchSidebar-empty {
  margin: 2px 0;
  color: var(--jp-ui-font-color2);
}

.jp-WorkbenchSidebar-problem,
.jp-WorkbenchSidebar-job {
  margin: 4px 0;
  overflow-wrap: anywhere;
}

.jp-WorkbenchSidebar-badge {
  padding: 0 6px;
  border-radius: 8px;
  font-weight: 600;
}

.jp-WorkbenchSidebar-badge.jp-mod-valid {
  background: var(--jp-success-color3, #c8e6c9);
  color: var(--jp-success-color0, #1b5e20);
}

.jp-WorkbenchSidebar-badge.jp-mod-problem {
  background: var(--jp-error-color3, #ffcdd2);
  color: var(--jp-error-color0, #b71c1c);
}

.jp-WorkbenchSidebar-runs,
.jp-WorkbenchSidebar-workshops {
  margin: 2px 0;
  padding-left: 18px;
}

.jp-WorkbenchSidebar-case a,
.jp-WorkbenchSidebar-gallery a {
  color: var(--jp-content-link-color);
  text-decoration: underline;
}
`,""]),o.d(e,{},{A:c})},314(r){r.exports=function(r){var e=[];return e.toString=function(){return this.map(function(e){var o="",a=void 0!==e[5];return e[4]&&(o+="@supports (".concat(e[4],") {")),e[2]&&(o+="@media ".concat(e[2]," {")),a&&(o+="@layer".concat(e[5].length>0?" ".concat(e[5]):""," {")),o+=r(e),a&&(o+="}"),e[2]&&(o+="}"),e[4]&&(o+="}"),o}).join("")},e.i=function(r,o,a,n,t){"string"==typeof r&&(r=[[null,r,void 0]]);var c={};if(a)for(var i=0;i<this.length;i++){var p=this[i][0];null!=p&&(c[p]=!0)}for(var s=0;s<r.length;s++){var d=[].concat(r[s]);a&&c[d[0]]||(void 0!==t&&(void 0===d[5]||(d[1]="@layer".concat(d[5].length>0?" ".concat(d[5]):""," {").concat(d[1],"}")),d[5]=t),o&&(d[2]&&(d[1]="@media ".concat(d[2]," {").concat(d[1],"}")),d[2]=o),n&&(d[4]?(d[1]="@supports (".concat(d[4],") {").concat(d[1],"}"),d[4]=n):d[4]="".concat(n)),e.push(d))}},e}},601(r){r.exports=function(r){return r[1]}},665(r,e,o){o.r(e);var a=o(72),n=o.n(a),t=o(825),c=o.n(t),i=o(659),p=o.n(i),s=o(56),d=o.n(s),l=o(540),u=o.n(l),b=o(113),f=o.n(b),h=o(646),v={};v.styleTagTransform=f(),v.setAttributes=d(),v.insert=p().bind(null,"head"),v.domAPI=c(),v.insertStyleElement=u(),n()(h.A,v);let m=h.A&&h.A.locals?h.A.locals:void 0;o.d(e,{},{default:m})},72(r){var e=[];function o(r){for(var o=-1,a=0;a<e.length;a++)if(e[a].identifier===r){o=a;break}return o}function a(r,a){for(var n={},t=[],c=0;c<r.length;c++){var i=r[c],p=a.base?i[0]+a.base:i[0],s=n[p]||0,d="".concat(p," ").concat(s);n[p]=s+1;var l=o(d),u={css:i[1],media:i[2],sourceMap:i[3],supports:i[4],layer:i[5]};if(-1!==l)e[l].references++,e[l].updater(u);else{var b=function(r,e){var o=e.domAPI(e);return o.update(r),function(e){e?(e.css!==r.css||e.media!==r.media||e.sourceMap!==r.sourceMap||e.supports!==r.supports||e.layer!==r.layer)&&o.update(r=e):o.remove()}}(u,a);a.byIndex=c,e.splice(c,0,{identifier:d,updater:b,references:1})}t.push(d)}return t}r.exports=function(r,n){var t=a(r=r||[],n=n||{});return function(r){r=r||[];for(var c=0;c<t.length;c++){var i=o(t[c]);e[i].references--}for(var p=a(r,n),s=0;s<t.length;s++){var d=o(t[s]);0===e[d].references&&(e[d].updater(),e.splice(d,1))}t=p}}},659(r){var e={};r.exports=function(r,o){var a=function(r){if(void 0===e[r]){var o=document.querySelector(r);if(window.HTMLIFrameElement&&o instanceof window.HTMLIFrameElement)try{o=o.contentDocument.head}catch(r){o=null}e[r]=o}return e[r]}(r);if(!a)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");a.appendChild(o)}},540(r){r.exports=function(r){var e=document.createElement("style");return r.setAttributes(e,r.attributes),r.insert(e,r.options),e}},56(r,e,o){r.exports=function(r){var e=o.nc;e&&r.setAttribute("nonce",e)}},825(r){r.exports=function(r){if("u"<typeof document)return{update:function(){},remove:function(){}};var e=r.insertStyleElement(r);return{update:function(o){var a,n,t;a="",o.supports&&(a+="@supports (".concat(o.supports,") {")),o.media&&(a+="@media ".concat(o.media," {")),(n=void 0!==o.layer)&&(a+="@layer".concat(o.layer.length>0?" ".concat(o.layer):""," {")),a+=o.css,n&&(a+="}"),o.media&&(a+="}"),o.supports&&(a+="}"),(t=o.sourceMap)&&"u">typeof btoa&&(a+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(t))))," */")),r.styleTagTransform(a,e,r.options)},remove:function(){var r;null===(r=e).parentNode||r.parentNode.removeChild(r)}}}},113(r){r.exports=function(r,e){if(e.styleSheet)e.styleSheet.cssText=r;else{for(;e.firstChild;)e.removeChild(e.firstChild);e.appendChild(document.createTextNode(r))}}}}]);