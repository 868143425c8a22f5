using CustomModels.Core.Listing;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CustomModels.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ListedJson : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "ListedJson",
                table: "custom_models",
                type: "BLOB",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_custom_models_unrendered",
                table: "custom_models",
                column: "Id",
                filter: "\"ListedJson\" IS NULL");

            // Existing models start without listed JSON: ListedJsonRenderer renders them.
            migrationBuilder.Sql(ListedJsonTriggers.Sqlite(ListedJsonTriggers.FirstShownColumns));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(ListedJsonTriggers.DropSqlite);

            migrationBuilder.DropIndex(
                name: "IX_custom_models_unrendered",
                table: "custom_models");

            migrationBuilder.DropColumn(
                name: "ListedJson",
                table: "custom_models");
        }
    }
}
