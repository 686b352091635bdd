import { verifyMath } from './src/rewards/index.js';
const cases: [string,string][] = [
 ['\\{1,2\\}','{1,2}'],['(-\\infty,\\infty)','\\mathbb{R}'],['\\emptyset','\\varnothing'],['\\infty','+\\infty'],['\\frac ab','\\frac{a}{b}'],
 ['x \\in (0,1)','x ∈ (0,1)'],['\\pi','π'],['2\\sqrt{2}','2√2'],['50\\%','50 percent'],['0.5','50 percent'],['\\frac13','0.333333'],['\\pi','3.14159265'],
 ['(C) 12','C'],['f(x)=2x+1','2x+1'],['y=\\frac{1}{2}x+3','y=0.5x+3'],['10^6','1,000,000'],['\\$1,000','1000'],['a=2,b=3','a=2, b=3'],
 ['3 and 5','5, 3'],['\\text{(C)}\\ 12','C'],['x^{2}','x^2'],['\\frac{-\\pi}{4}','-\\frac{\\pi}{4}'],['\\left\\{1,2\\right\\}','\\{2,1\\}'],['**Final Answer**\n\\[ \\boxed{5} \\]','5'],
 ['<answer>x = 7</answer>','7'],['1 000 000','1000000'],['\\frac{1}{2}','\\frac12x'],['\\log_2 8','3'],['\\sqrt[3]{27}','3'],['i','\\sqrt{-1}'],['1+i','i+1'],
];
for (const [g,p] of cases) { const r = verifyMath(p,g); console.log(r.equal, JSON.stringify(g), JSON.stringify(p), r.reason??''); }
