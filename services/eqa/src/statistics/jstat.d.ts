// Minimal typings for the parts of jStat (https://github.com/jstat/jstat, MIT) this service uses;
// the package ships none. jStat is a CommonJS module whose export object carries `jStat`.
declare module "jstat" {
  interface StudentT {
    /** Quantile function (inverse CDF) of Student's t with `dof` degrees of freedom. */
    inv(p: number, dof: number): number;
    cdf(x: number, dof: number): number;
  }
  const jstat: { readonly jStat: { readonly studentt: StudentT } };
  export default jstat;
}
