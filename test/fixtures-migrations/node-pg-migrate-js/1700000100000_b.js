exports.up = (pgm) => {
  pgm.addColumn("a", { b: "text" });
};
