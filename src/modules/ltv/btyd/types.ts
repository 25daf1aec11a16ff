/**
 * Plain data for the buy-till-you-die models. Time is in WEEKS everywhere in this folder.
 */

/** BG/NBD (Fader, Hardie and Lee 2005): purchase rate lambda ~ Gamma(r, alpha), dropout p ~ Beta(a, b). */
export interface BgNbdParams { r: number; alpha: number; a: number; b: number }

/** Gamma-Gamma spend model: per-transaction value ~ Gamma(p, nu), nu ~ Gamma(q, v). */
export interface GammaGammaParams { p: number; q: number; v: number }

/** x = repeat purchase occasions, tx = time of last purchase since first (weeks), T = age since first purchase (weeks). */
export interface FrequencyRow { frequency: number; recency: number; T: number; weight: number }

/** Repeat buyers only (frequency >= 1): monetary = mean value of the repeat purchases. */
export interface MonetaryRow { frequency: number; monetary: number; weight: number }

/** A model cannot be fitted (too little or invalid data) or evaluated (parameters outside its domain). */
export class BtydError extends Error {
  override name = 'BtydError';
}
